package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Which failures set a bench's exit code, and how {@code bench durable} goes on past a system that fails. */
class BenchOutcomeTest {

  @Test
  void aFailingPeerLeavesTheExitCodeZeroAndIsNamedInTheSummary() {
    BenchOutcome outcome = new BenchOutcome(Set.of("sagaflow"));

    outcome.failed("restate", "durable-3step-saturated missing=20000");

    assertThat(outcome.exitCode()).isZero();
    assertThat(outcome.summary()).hasValue(
        "bench: peers failed (exit code unaffected): restate durable-3step-saturated missing=20000.");
  }

  @Test
  void aFailureOfSagaflowsOwnSystemSetsExitCodeOne() {
    BenchOutcome outcome = new BenchOutcome(Set.of("sagaflow", "sagaflow-durable"));

    outcome.failed("kafka-sagas", "setting=best (exited with 1)");
    outcome.failed("sagaflow-durable", "durable-3step-500 missing=3");

    assertThat(outcome.exitCode()).isEqualTo(1);
    assertThat(outcome.summary()).hasValue("bench: failed (exit code 1): sagaflow-durable durable-3step-500 missing=3."
        + " peers failed (exit code unaffected): kafka-sagas setting=best (exited with 1).");
  }

  @Test
  void nothingFailedNoSummary() {
    assertThat(new BenchOutcome(Set.of("sagaflow")).summary()).isEmpty();
    assertThat(new BenchOutcome(Set.of("sagaflow")).exitCode()).isZero();
  }

  @Test
  void aPeerThatRunsTheMachineOutOfThreadsFailsBothScenariosAndTheRunGoesOn() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DurableBenchCommand command = command(captured);
    BenchOutcome outcome = new BenchOutcome(DurableBenchCommand.OWN);

    double[] figures = command.scenarios("restate", "127.0.0.1:1", "p", prefix -> {
      throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits"
          + " reached");
    }, outcome);

    assertThat(figures).containsExactly(Double.NaN, Double.NaN);
    assertThat(lines(captured)).containsExactly(
        "FAILED system=restate scenario=durable-3step-saturated reason=\"OutOfMemoryError: unable to create native"
            + " thread: possibly out of memory or process/resource limits reached\"",
        "FAILED system=restate scenario=durable-3step-500 reason=\"OutOfMemoryError: unable to create native"
            + " thread: possibly out of memory or process/resource limits reached\"");
    assertThat(outcome.exitCode()).isZero();
  }

  @Test
  void sagaflowsOwnSystemFailingToStartSetsExitCodeOne() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DurableBenchCommand command = command(captured);
    BenchOutcome outcome = new BenchOutcome(DurableBenchCommand.OWN);

    command.scenarios("sagaflow-durable", "127.0.0.1:1", "p", prefix -> {
      throw new IllegalStateException("the saga consumer's JVM did not get ready: null");
    }, outcome);

    assertThat(lines(captured)).hasSize(2).allMatch(l -> l.startsWith("FAILED system=sagaflow-durable scenario="));
    assertThat(outcome.exitCode()).isEqualTo(1);
  }

  @Test
  void aPeerThatCannotStartIsSkippedNotFailed() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DurableBenchCommand command = command(captured);
    BenchOutcome outcome = new BenchOutcome(DurableBenchCommand.OWN);

    command.scenarios("restate", "127.0.0.1:1", "p", prefix -> {
      throw new DurableBenchCommand.Unavailable("the Restate server did not start: \"port\" taken");
    }, outcome);

    assertThat(lines(captured)).containsExactly(
        "SKIP system=restate reason=\"the Restate server did not start: 'port' taken\"");
    assertThat(outcome.summary()).isEmpty();
  }

  @Test
  void aRatioWithAFailedScenarioIsADash() {
    assertThat(DurableBenchCommand.divided(1089, 185)).isEqualTo("5.89");
    assertThat(DurableBenchCommand.divided(1089, Double.NaN)).isEqualTo("-");
    assertThat(DurableBenchCommand.divided(Double.NaN, 185)).isEqualTo("-");
  }

  private static DurableBenchCommand command(ByteArrayOutputStream captured) {
    DurableBenchCommand command = new DurableBenchCommand();
    new CommandLine(command).parseArgs("--sagas", "100", "--rate", "500", "--timeout", "5");
    command.out = new PrintStream(captured, true, StandardCharsets.UTF_8);
    return command;
  }

  private static List<String> lines(ByteArrayOutputStream captured) {
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
