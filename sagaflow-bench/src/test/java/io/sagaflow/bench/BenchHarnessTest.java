package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** Runs the real harness (orchestrator, child JVM, raw system) with a tiny record count. */
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
}
