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
import java.util.Set;
import java.util.concurrent.Callable;

import org.apache.kafka.common.header.Header;

import io.sagaflow.recovery.DeadLetter;
import io.sagaflow.recovery.DeadLetterFilter;
import io.sagaflow.recovery.DeadLetterHeaders;
import io.sagaflow.recovery.DeadLetters;
import io.sagaflow.recovery.DeadLettersOptions;
import io.sagaflow.recovery.RecoveryHeaders;
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

    @CommandLine.Mixin KafkaOptions kafka;

    /** Dead letters of a cluster that has answered (see {@link KafkaOptions#connect}). */
    DeadLetters deadLetters() {
      return DeadLetters.create(DeadLettersOptions.of(kafka.connect(Map.of())).withTimeout(Duration.ofSeconds(15)));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the dead letters, one per line.")
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

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Shows everything about one dead letter: origin, exception, key, value, headers.")
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
          out.printf("  %-36s %s%n", header.key(), renderHeader(header.key(), header.value()));
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

  @Command(name = "replay", mixinStandardHelpOptions = true,
      header = "Copies dead letters back to their topic; a re-run skips those already copied.",
      description = {
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
      Progress progress = new Progress(out, total, dryRun);
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
    private final String replayed;
    private long seen;
    private long lastTenth = -1;

    Progress(PrintWriter out, long total, boolean dryRun) {
      this.out = out;
      this.total = total;
      this.replayed = dryRun ? "would replay" : "replayed";
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
        out.printf("%s[%s] %d/%d  %s %d  skipped %d  failed %d%s", terminal ? "\r" : "", bar, seen, total, replayed,
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

  /**
   * A header's value: Sagaflow's and Spring's numeric headers (big-endian int or long) as numbers,
   * their timestamps with the instant; any other header as text, or base64 when it is not text.
   * (Guessing numbers from the length alone showed an 8-letter topic name as a long.)
   */
  static String renderHeader(String key, byte[] value) {
    if (value != null && value.length == Integer.BYTES && INT_HEADERS.contains(key)) {
      return Integer.toString(java.nio.ByteBuffer.wrap(value).getInt());
    }
    if (value != null && value.length == Long.BYTES && LONG_HEADERS.contains(key)) {
      long n = java.nio.ByteBuffer.wrap(value).getLong();
      return TIME_HEADERS.contains(key) ? n + " (" + Instant.ofEpochMilli(n) + ")" : Long.toString(n);
    }
    return render(value);
  }

  private static final Set<String> INT_HEADERS = Set.of(RecoveryHeaders.DLT_ORIGINAL_PARTITION,
      RecoveryHeaders.ORIGIN_PARTITION, RecoveryHeaders.ATTEMPTS, RecoveryHeaders.RETRY_TIER);
  private static final Set<String> TIME_HEADERS = Set.of(RecoveryHeaders.DLT_ORIGINAL_TIMESTAMP,
      RecoveryHeaders.ORIGIN_TIMESTAMP, RecoveryHeaders.FAILED_AT, RecoveryHeaders.RETRY_DUE);
  private static final Set<String> LONG_HEADERS = Set.of(RecoveryHeaders.DLT_ORIGINAL_OFFSET,
      RecoveryHeaders.ORIGIN_OFFSET, RecoveryHeaders.DLT_ORIGINAL_TIMESTAMP, RecoveryHeaders.ORIGIN_TIMESTAMP,
      RecoveryHeaders.FAILED_AT, RecoveryHeaders.RETRY_DUE);
}
