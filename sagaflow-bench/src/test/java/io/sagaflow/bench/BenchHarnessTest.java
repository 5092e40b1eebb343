package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the real harness (orchestrator, child JVM, raw system; the saga bench) with tiny counts. */
@ExtendWith(LeakCheck.class)
class BenchHarnessTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void rawSystemConsumesAndCommitsEveryRecordAndPrintsOneParsableResultLine() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    ConsumeCommand command = new ConsumeCommand();
    new CommandLine(command).parseArgs(
        "--scenario", "noop",
        "--systems", "raw",
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--records", "2000",
        "--timeout", "60s");
    command.out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    List<ResultLine> results = command.run();

    List<String> resultLines = captured.toString(StandardCharsets.UTF_8).lines()
        .filter(ResultLine::isResult)
        .toList();
    assertThat(resultLines).hasSize(1);
    ResultLine line = ResultLine.parse(resultLines.getFirst());
    assertThat(line).isEqualTo(results.getFirst());
    assertThat(line.system()).isEqualTo("raw");
    assertThat(line.scenario()).isEqualTo("noop");
    assertThat(line.records()).isEqualTo(2000);
    assertThat(line.seconds()).isPositive();
    assertThat(line.p99Millis()).isPresent();
    assertThat(line.heapMb()).isPositive();
  }

  @Test
  void sagaBenchPrintsSkipForKafkaSagasWithoutNodeAndStillRunsSagaflow(@TempDir Path npmDir) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    SagaBenchCommand command = new SagaBenchCommand();
    new CommandLine(command).parseArgs(
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--node", npmDir.resolve("no-such-node").toString(),
        "--npm-dir", npmDir.toString(),
        // Bounded by --saturated-seconds, not by --sagas; 200 in flight keep the 2,000-saga warm-up short.
        "--sagas", "1000000",
        "--saturated-seconds", "1",
        "--concurrency", "200",
        "--rate", "50",
        "--paced-seconds", "1",
        "--paced-warmup-seconds", "0",
        "--warmup-seconds", "0");
    command.out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    int exit = command.call();

    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(exit).isZero();
    assertThat(lines).filteredOn(l -> l.startsWith("SKIP ")).singleElement().asString()
        .startsWith("SKIP system=kafka-sagas reason=\"node cannot be started (" + npmDir.resolve("no-such-node"));
    assertThat(lines).filteredOn(l -> l.startsWith("RESULT ")).satisfiesExactly(
        l -> {
          assertThat(l).startsWith("RESULT system=sagaflow scenario=saga-roundtrip-saturated sagas=");
          assertThat(Integer.parseInt(l.replaceAll(".* sagas=(\\d+) .*", "$1"))).isBetween(1, 999_999);
          assertThat(Double.parseDouble(l.replaceAll(".* seconds=([\\d.]+) .*", "$1"))).isBetween(1.0, 30.0);
        },
        l -> assertThat(l).startsWith("RESULT system=sagaflow scenario=saga-roundtrip-50 sagas=50 "));
    assertThat(lines).noneMatch(l -> l.startsWith("RATIO") || l.startsWith("FAILED"));
  }

  @Test
  void durableBenchPrintsSkipForRestateWithoutNodeAndExitsZero(@TempDir Path npmDir) throws Exception {
    // Restate alone: the Sagaflow systems run in the same loop before and after it (seconds each, not for CI).
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DurableBenchCommand command = new DurableBenchCommand();
    new CommandLine(command).parseArgs(
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--systems", "restate",
        "--node", npmDir.resolve("no-such-node").toString(),
        "--restate-dir", npmDir.toString(),
        "--waiting", "0");
    command.out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    int exit = command.call();

    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(exit).isZero();
    // Off linux-x64 the reason is the platform (the server binary is installed for linux-x64 only).
    boolean linuxX64 = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
        && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    assertThat(lines).filteredOn(l -> l.startsWith("SKIP ")).singleElement().asString()
        .startsWith("SKIP system=restate reason=\"" + (linuxX64
            ? "node cannot be started (" + npmDir.resolve("no-such-node") : "the bench installs"));
    assertThat(lines).noneMatch(l -> l.startsWith("RESULT") || l.startsWith("RATIO"));
  }

  @Test
  void durableBenchGivesUpAtOnceOnAPeerWhoseProcessDiedAndExitsZero() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DurableBenchCommand command = new DurableBenchCommand();
    new CommandLine(command).parseArgs("--sagas", "50", "--rate", "10", "--paced-seconds", "1", "--timeout", "120");
    command.out = new PrintStream(captured, true, StandardCharsets.UTF_8);
    BenchOutcome outcome = new BenchOutcome(DurableBenchCommand.OWN);
    AtomicInteger closed = new AtomicInteger();
    long start = System.nanoTime();

    command.scenarios("restate", kafka.bootstrapServers(), "bench-durable-dead-" + System.nanoTime(), prefix -> {
      kafka.createTopic(prefix + "-in", 6);
      kafka.createTopic(prefix + "-out", 6);
      return new DurableBenchCommand.Deployment() {
        @Override
        public String failure() {
          return "the Restate server exited with 137";
        }

        @Override
        public void close() {
          closed.incrementAndGet();
        }
      };
    }, outcome);

    // Well within the 120 s a scenario may take: the load asks about the processes once a second.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    // The paced run gets fresh processes, which (this fake peer being always dead) fail the same way.
    assertThat(captured.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
        "FAILED system=restate scenario=durable-3step-saturated reason=\"IllegalStateException: the Restate server"
            + " exited with 137 (0 of 50 sagas had completed)\"",
        "bench: restate failed its saturated run; the paced run gets fresh processes and topics",
        "FAILED system=restate scenario=durable-3step-10 reason=\"IllegalStateException: the Restate server"
            + " exited with 137 (0 of 50 sagas had completed)\"");
    assertThat(closed).hasValue(2);
    assertThat(outcome.exitCode()).isZero();
  }

  @Test
  void durableBenchMeasuresThePacedRunOnFreshProcessesAfterASaturatedRunWithMissingSagas() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DurableBenchCommand command = new DurableBenchCommand();
    new CommandLine(command).parseArgs("--sagas", "20", "--rate", "10", "--paced-seconds", "1", "--timeout", "1");
    command.out = new PrintStream(captured, true, StandardCharsets.UTF_8);
    BenchOutcome outcome = new BenchOutcome(DurableBenchCommand.OWN);
    List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicInteger closed = new AtomicInteger();

    // A peer that runs but never completes a saga: every scenario ends at its time limit with sagas missing.
    command.scenarios("restate", kafka.bootstrapServers(), "bench-durable-stuck-" + System.nanoTime(), prefix -> {
      started.add(prefix);
      kafka.createTopic(prefix + "-in", 6);
      kafka.createTopic(prefix + "-out", 6);
      return new DurableBenchCommand.Deployment() {
        @Override
        public String failure() {
          return null;
        }

        @Override
        public void close() {
          closed.incrementAndGet();
        }
      };
    }, outcome);

    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).filteredOn(l -> l.startsWith("RESULT ")).satisfiesExactly(
        l -> assertThat(l).startsWith("RESULT system=restate scenario=durable-3step-saturated sagas=0 ")
            .endsWith(" missing=20"),
        l -> assertThat(l).startsWith("RESULT system=restate scenario=durable-3step-10 sagas=0 ")
            .endsWith(" missing=10"));
    assertThat(started).hasSize(2);
    assertThat(started.get(1)).isEqualTo(started.get(0) + "-paced");
    assertThat(closed).hasValue(2);
    assertThat(outcome.exitCode()).isZero();
    assertThat(outcome.summary()).hasValueSatisfying(s -> assertThat(s)
        .contains("restate durable-3step-saturated missing=20; restate durable-3step-10 missing=10"));
  }

  @Test
  void aStatsLineOfTheNodeRequesterBecomesAResultLineInSagaflowsFormat() {
    SagaResult r = SagaResult.fromStats(
        "STATS scenario=saga-roundtrip-1000 sagas=1500 failed=8500 seconds=20.004 p50_ms=10012.500 p99_ms=10340.125",
        "kafka-sagas", "best|flush=1ms");

    assertThat(r.rate()).isCloseTo(1500 / 20.004, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(r.format()).isEqualTo("RESULT system=kafka-sagas scenario=saga-roundtrip-1000 sagas=1500 seconds=20.00 "
        + "rate=75 p50_ms=10012.50 p99_ms=10340.13 failed=8500 setting=best|flush=1ms");
  }
}
