package io.sagaflow.cli;

import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.apache.kafka.common.header.Header;

import io.sagaflow.recovery.DeadLetter;
import io.sagaflow.recovery.DeadLetterFilter;
import io.sagaflow.recovery.DeadLetterHeaders;
import io.sagaflow.recovery.DeadLetters;
import io.sagaflow.recovery.DeadLettersOptions;
import io.sagaflow.recovery.ReplayListener;
import io.sagaflow.recovery.ReplaySummary;
import io.sagaflow.recovery.ReplayTarget;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sagaflow dlq}: look at dead letters and replay them. */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = "Lists, shows and replays the records of a dead-letter topic.",
    subcommands = {DlqCommand.ListCommand.class, DlqCommand.ShowCommand.class, DlqCommand.ReplayCommand.class})
final class DlqCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every dlq subcommand takes. */
  static final class Common {
    @Option(names = "--topic", required = true, paramLabel = "T-dlt", description = "The dead-letter topic.")
    String topic;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
        defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
        description = "Kafka (env KAFKA_BOOTSTRAP_SERVERS, default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
        description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file.")
    CommandConfig commandConfig;

    DeadLetters deadLetters() {
      return DeadLetters.create(DeadLettersOptions.of(CommandConfig.cluster(bootstrapServers, commandConfig, Map.of()))
          .withTimeout(Duration.ofSeconds(15)));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "One line per dead letter.")
  static final class ListCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(names = "--filter", paramLabel = "exception=X,key=K",
        description = "Only letters whose exception class contains X and/or whose key is K.")
    String filter;

    @Option(names = "--limit", defaultValue = "100", description = "Print at most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      List<DeadLetter> letters = common.deadLetters().list(common.topic, parseFilter(filter));
      out.printf("%-9s %-9s %-20s %-28s %-40s %8s  %s%n", "PARTITION", "OFFSET", "KEY", "FROM", "EXCEPTION", "ATTEMPTS", "MESSAGE");
      letters.stream().limit(limit).forEach(l -> {
        DeadLetterHeaders h = l.info();
        out.printf("%-9d %-9d %-20s %-28s %-40s %8d  %s%n", l.partition(), l.offset(), cut(l.keyAsString(), 20),
            cut(h.originalTopic() + "-" + h.originalPartition() + "@" + h.originalOffset(), 28),
            cut(simpleName(h.exceptionClass()), 40), h.attempts(), cut(h.exceptionMessage(), 80));
      });
      out.printf("%d dead letter%s in %s%s%n", letters.size(), letters.size() == 1 ? "" : "s", common.topic,
          letters.size() > limit ? " (first " + limit + " shown; --limit to see more)" : "");
      out.flush();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Everything about one dead letter.")
  static final class ShowCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(names = "--partition", required = true, description = "Partition of the dead letter.")
    int partition;

    @Option(names = "--offset", required = true, description = "Offset of the dead letter.")
    long offset;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      Optional<DeadLetter> found = common.deadLetters().show(common.topic, partition, offset);
      if (found.isEmpty()) {
        throw new IllegalArgumentException("no dead letter at " + common.topic + "/" + partition + "/" + offset
            + ": `sagaflow dlq list --topic " + common.topic + "` shows what is there");
      }
      DeadLetter l = found.get();
      DeadLetterHeaders h = l.info();
      out.printf("dead letter   %s%n", l.coordinates());
      out.printf("from          %s-%d@%d (timestamp %s, %s)%n", h.originalTopic(), h.originalPartition(),
          h.originalOffset(), h.originalTimestamp() == null ? "?" : Instant.ofEpochMilli(h.originalTimestamp()),
          h.originalTimestampType());
      out.printf("group         %s%n", h.consumerGroup());
      out.printf("failed at     %s after %d attempt%s%n", h.failedAt(), h.attempts(), h.attempts() == 1 ? "" : "s");
      out.printf("exception     %s%s%n", h.exceptionClass(), h.keyFailure() ? " (the key failed to deserialize)" : "");
      if (h.exceptionCauseClass() != null) {
        out.printf("cause         %s%n", h.exceptionCauseClass());
      }
      out.printf("message       %s%n", h.exceptionMessage());
      out.printf("key           %s%n", render(l.key()));
      out.printf("value         %s%n", render(l.value()));
      out.println("headers");
      for (Header header : l.headers()) {
        if (!header.key().endsWith("stacktrace")) {
          out.printf("  %-36s %s%n", header.key(), renderHeader(header.value()));
        }
      }
      if (h.stackTrace() != null) {
        out.println("stack trace");
        out.println(h.stackTrace());
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true, description = {
      "Copies dead letters back to their original topic (or another) and records each copy, so that",
      "an interrupted replay can be re-run: letters already replayed to the same target are skipped."})
  static final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(names = "--filter", paramLabel = "exception=X,key=K",
        description = "Only letters whose exception class contains X and/or whose key is K.")
    String filter;

    @Option(names = "--to", defaultValue = "original", paramLabel = "original|TOPIC",
        description = "Where the copies go: each letter's original topic (default), or this topic.")
    String to;

    @Option(names = "--dry-run", description = "Count what would be replayed; write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      DeadLetters letters = common.deadLetters();
      DeadLetterFilter f = parseFilter(filter);
      ReplayTarget target = ReplayTarget.parse(to);
      long total = letters.list(common.topic, f).size();
      Progress progress = new Progress(out, total);
      ReplaySummary s = letters.replay(common.topic, f, target, dryRun, progress);
      progress.finish();
      out.printf("%s %s: matched %d, %s %d, already replayed %d, failed %d%n", dryRun ? "dry run of" : "replayed",
          common.topic + " to " + target, s.matched(), dryRun ? "would replay" : "replayed", s.replayed(),
          s.skippedAlreadyReplayed(), s.failed());
      out.flush();
      return s.failed() == 0 ? 0 : 1;
    }
  }

  /** A text progress bar: redrawn in place on a terminal, a line per tenth otherwise. */
  static final class Progress implements ReplayListener {
    private final PrintWriter out;
    private final long total;
    private final boolean terminal = System.console() != null;
    private long seen;
    private long lastTenth = -1;

    Progress(PrintWriter out, long total) {
      this.out = out;
      this.total = total;
    }

    @Override
    public void onRecord(DeadLetter letter, Outcome outcome, ReplaySummary soFar) {
      seen++;
      long tenth = total == 0 ? 10 : seen * 10 / total;
      if (terminal || tenth != lastTenth) {
        lastTenth = tenth;
        int width = 30;
        int filled = (int) (total == 0 ? width : Math.min(width, seen * width / total));
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        out.printf("%s[%s] %d/%d  replayed %d  skipped %d  failed %d%s", terminal ? "\r" : "", bar, seen, total,
            soFar.replayed(), soFar.skippedAlreadyReplayed(), soFar.failed(), terminal ? "" : System.lineSeparator());
        out.flush();
      }
    }

    void finish() {
      if (terminal && seen > 0) {
        out.println();
      }
    }
  }

  static DeadLetterFilter parseFilter(String spec) {
    return spec == null || spec.isBlank() ? DeadLetterFilter.all() : DeadLetterFilter.parse(spec);
  }

  private static String simpleName(String fqcn) {
    return fqcn == null ? "-" : fqcn.substring(fqcn.lastIndexOf('.') + 1);
  }

  private static String cut(String s, int max) {
    if (s == null) {
      return "-";
    }
    String one = s.replace('\n', ' ');
    return one.length() <= max ? one : one.substring(0, max - 3) + "...";
  }

  private static String render(byte[] bytes) {
    if (bytes == null) {
      return "(null)";
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
      if (text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\t')) {
        return text;
      }
    } catch (CharacterCodingException e) {
      // binary: shown as base64 below
    }
    return "base64:" + Base64.getEncoder().encodeToString(bytes) + " (" + bytes.length + " bytes)";
  }

  private static String renderHeader(byte[] value) {
    if (value != null && (value.length == 4 || value.length == 8)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(value);
      String number = value.length == 4 ? Integer.toString(b.getInt()) : Long.toString(b.getLong());
      String text = render(value);
      return text.startsWith("base64:") ? number : text + " (or " + number + ")";
    }
    return render(value);
  }

}
