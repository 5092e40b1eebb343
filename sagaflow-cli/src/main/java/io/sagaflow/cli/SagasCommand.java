package io.sagaflow.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.AdminClientConfig;

import com.fasterxml.jackson.databind.JsonNode;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.ui.internal.JournalRuns;
import io.sagaflow.ui.internal.JournalSnapshot;
import io.sagaflow.ui.internal.SagaRun;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sagaflow sagas list|show}: durable sagas as their journal topics hold them. The records
 * are read and interpreted by the web inspector's code ({@link JournalSnapshot}, {@link SagaRun}),
 * so that the command line and the page tell the same story.
 */
@Command(
    name = "sagas",
    mixinStandardHelpOptions = true,
    description = "Durable sagas from their journal topics (*" + JournalRuns.SUFFIX + "): `list` and `show`.",
    subcommands = {SagasCommand.ListRuns.class, SagasCommand.ShowRun.class})
final class SagasCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private static final Duration CONNECT = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
      .withZone(ZoneOffset.UTC);

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where Kafka is: shared by both subcommands. */
  static final class Connection {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
        defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
        description = "Kafka to read (env KAFKA_BOOTSTRAP_SERVERS, default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
        description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file.")
    CommandConfig commandConfig;

    /** Every journal topic's runs, read once; a broker that does not answer fails within about 10 s. */
    JournalSnapshot read() {
      ClusterOptions options = CommandConfig.cluster(bootstrapServers, commandConfig, Map.of(
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
      try (KafkaCluster cluster = KafkaCluster.create(options)) {
        cluster.verifyReachable(CONNECT);
        return JournalSnapshot.read(cluster, TIMEOUT);
      } catch (IllegalStateException e) {
        throw new IllegalStateException(e.getMessage() + " (bootstrap servers " + bootstrapServers
            + ": set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS, and --command-config for a secured cluster)", e);
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists saga runs: transaction id, saga, status, age (since the saga started) and what it waits for.")
  static final class ListRuns implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin Connection connection;

    @Option(names = "--status", paramLabel = "STATUS",
        description = "Only runs with this status: running, waiting, compensating, failed, completed or malformed.")
    String status;

    @Option(names = "--topic", paramLabel = "TOPIC",
        description = "Only runs whose input came from this topic (or that this journal topic holds).")
    String topic;

    @Option(names = "--saga", paramLabel = "NAME", description = "Only runs of this saga, by its journaled name (a durable consumer names its saga after its input topic).")
    String saga;

    @Override
    public Integer call() {
      if (status != null && !SagaRun.STATUSES.contains(status)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--status " + status + " is not one of "
            + String.join(", ", SagaRun.STATUSES));
      }
      JournalSnapshot snapshot = connection.read();
      PrintWriter out = spec.commandLine().getOut();
      if (snapshot.topics().isEmpty()) {
        out.println("no journal topic (*" + JournalRuns.SUFFIX + ") at " + connection.bootstrapServers
            + ": no durable saga consumer has run there yet");
        out.flush();
        return 0;
      }
      Instant now = Instant.now();
      List<SagaRun> shown = snapshot.runs().stream()
          .filter(r -> r.matches(status, saga, null, null))
          .filter(r -> topic == null || topic.equals(r.inputTopic()) || topic.equals(r.journalTopic()))
          .toList();
      out.printf("%-36s  %-20s  %-12s  %7s  %s%n", "TRANSACTION", "SAGA", "STATUS", "AGE", "WAITING FOR");
      for (SagaRun r : shown) {
        String tx = r.transactionId() == null ? "(key " + r.runKey() + ")" : r.transactionId();
        Instant since = r.journal() != null ? r.journal().startedAt() : r.updatedAt();
        out.printf("%-36s  %-20s  %-12s  %7s  %s%n", clean(tx, 60), clean(or(r.sagaName(), "?"), 40), r.status(),
            age(Duration.between(since, now)), clean(waiting(r, now), 100));
      }
      out.printf("%d of %d runs in %s%n", shown.size(), snapshot.runs().size(), String.join(", ", snapshot.topics()));
      out.flush();
      return 0;
    }

    private static String waiting(SagaRun r, Instant now) {
      if (SagaRun.MALFORMED.equals(r.status())) {
        return "malformed record: " + r.error();
      }
      List<String> parts = new ArrayList<>();
      for (JsonNode w : r.detail(now).path("waitingFor")) {
        String d = w.path("deadline").isNull() || w.path("deadline").isMissingNode() ? ""
            : " (" + age(Duration.ofMillis(Math.max(0, w.path("remainingMillis").asLong()))) + " left)";
        parts.add(w.path("what").asText() + d);
      }
      return String.join("; ", parts);
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = {"Prints a saga's timeline: time, kind, effect id, a short result, and pending deadlines.",
          "A transaction that several sagas took part in (one journal each) shows each of them."})
  static final class ShowRun implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin Connection connection;

    @Parameters(paramLabel = "TRANSACTION_ID", description = "The transaction id (or a run key of the journal).")
    String transactionId;

    @Override
    public Integer call() {
      JournalSnapshot snapshot = connection.read();
      List<SagaRun> runs = snapshot.runs().stream()
          .filter(r -> transactionId.equals(r.transactionId()) || transactionId.equals(r.runKey()))
          .sorted(Comparator.comparing((SagaRun r) -> r.journal() == null ? null : r.journal().startedAt(),
              Comparator.nullsLast(Comparator.naturalOrder())))
          .toList(); // the first started first: a transaction's first saga before the ones it started
      if (runs.isEmpty()) {
        throw new IllegalArgumentException("no saga with transaction id " + transactionId + " in "
            + (snapshot.topics().isEmpty() ? "Kafka at " + connection.bootstrapServers + " (no journal topic *"
                + JournalRuns.SUFFIX + " exists there)"
                : "the journal topics " + String.join(", ", snapshot.topics())
                    + " (an ended saga's record goes once the topic is compacted); `sagaflow sagas list` shows the"
                    + " sagas there are"));
      }
      PrintWriter out = spec.commandLine().getOut();
      Instant now = Instant.now();
      for (SagaRun r : runs) {
        print(out, r, now);
      }
      out.flush();
      return 0;
    }

    private static void print(PrintWriter out, SagaRun r, Instant now) {
      JsonNode d = r.detail(now);
      out.printf("%s  %s  %s%n", or(r.sagaName(), "?"), r.status(), clean(or(r.transactionId(), ""), 60));
      out.printf("  journal  %s-%d@%d, key %s%n", r.journalTopic(), r.partition(), r.offset(), clean(r.runKey(), 60));
      if (r.error() != null) {
        out.printf("  %s  %s%n", SagaRun.MALFORMED.equals(r.status()) ? "malformed" : "error", clean(r.error(), 300));
      }
      if (r.journal() == null) {
        out.println(SagaRun.MALFORMED.equals(r.status()) ? "  (the record cannot be decoded: no timeline)"
            : "  (its journal is gone: the run ended without its final journal)");
        out.println();
        return;
      }
      JsonNode input = d.path("input");
      out.printf("  started  %s, input %s%s: %s%n", TIME.format(r.journal().startedAt()), input.path("topic").asText(),
          input.has("position") ? " (" + input.path("position").asText() + ")" : "",
          clean(input.path("payload").asText(""), 100));
      out.printf("  %-23s  %8s  %-13s  %-24s  %-10s  %s%n", "TIME", "+MS", "KIND", "EFFECT", "STATUS", "RESULT");
      for (JsonNode e : d.path("effects")) {
        String result = text(e, "error") != null ? "error: " + text(e, "error")
            : or(text(e, "result"), or(text(e, "detail"), ""));
        String deadline = text(e, "deadline") == null ? "" : "  deadline " + TIME.format(Instant.parse(text(e, "deadline")));
        out.printf("  %-23s  %8d  %-13s  %-24s  %-10s  %s%s%n", TIME.format(Instant.parse(e.path("at").asText())),
            e.path("offsetMillis").asLong(), e.path("kind").asText(), clean(e.path("id").asText(), 40),
            e.path("status").asText(), clean(result, 80), deadline);
      }
      for (JsonNode w : d.path("waitingFor")) {
        String deadline = text(w, "deadline") == null ? "" : ", deadline " + TIME.format(Instant.parse(text(w, "deadline")))
            + " (" + (w.path("remainingMillis").asLong() >= 0
                ? "in " + age(Duration.ofMillis(w.path("remainingMillis").asLong())) : "passed") + ")";
        out.printf("  waiting for %s (effect %s)%s%n", clean(w.path("what").asText(), 100),
            clean(w.path("id").asText(), 40), deadline);
      }
      out.println();
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isNull() || v.isMissingNode() ? null : v.asText();
  }

  private static String or(String s, String otherwise) {
    return s == null ? otherwise : s;
  }

  /** One line of at most {@code max} characters; control characters from record contents become spaces. */
  static String clean(String s, int max) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
    for (int i = 0; i < s.length() && b.length() <= max; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : c);
    }
    return b.length() > max ? b.substring(0, max - 1) + "…" : b.toString();
  }

  /** 42s, 3m04s, 2h05m, 3d04h. */
  static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    if (s < 86_400) {
      return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
    }
    return String.format("%dd%02dh", s / 86_400, s % 86_400 / 3600);
  }
}
