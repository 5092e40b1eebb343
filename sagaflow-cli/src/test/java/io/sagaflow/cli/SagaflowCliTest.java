package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import picocli.CommandLine;

@ExtendWith(LeakCheck.class)
class SagaflowCliTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  record Run(int exitCode, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = SagaflowCli.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void helpListsEveryCommandAndEachCommandHasHelp() {
    Run r = run("--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("demo", "broker", "lag", "dlq", "ui", "sagas")
        .containsPattern("bench +Benchmarks").containsPattern("chaos +Fault scenarios");
    for (String command : new String[] {"demo", "broker", "lag", "dlq", "ui", "sagas"}) {
      Run sub = run(command, "--help");
      assertThat(sub.exitCode()).as(command).isZero();
      assertThat(sub.out()).as(command).contains("Usage: sagaflow " + command);
    }
    assertThat(run("demo", "purchases", "--help").out()).contains("KAFKA_BOOTSTRAP_SERVERS");
    assertThat(run("demo", "pizza", "--help").out()).contains("--role");
  }

  @Test
  void benchAndChaosRunFromTheirOwnJarAndSaySo() {
    Run r = run("chaos", "eos-kill", "--short");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("`chaos` runs from sagaflow-bench's jar: use ./sagaflow chaos");
  }

  @Test
  void everyKafkaCommandFailsWithinTheConnectTimeoutNamingTheServersAndTheFix() {
    String[][] commands = {
      {"lag", "--group", "g"},
      {"dlq", "list", "--topic", "t-dlt"},
      {"dlq", "show", "--topic", "t-dlt", "--partition", "0", "--offset", "0"},
      {"dlq", "replay", "--topic", "t-dlt", "--dry-run"},
    };
    for (String[] command : commands) {
      String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
          java.util.stream.Stream.of("--bootstrap-servers", "127.0.0.1:1", "--connect-timeout", "1s")).toArray(String[]::new);
      long t0 = System.nanoTime();
      Run r = run(args);
      long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
      String name = String.join(" ", command);
      assertThat(r.exitCode()).as(name).isEqualTo(1);
      assertThat(r.err().lines()).as(name).singleElement().asString()
          .startsWith("error: cannot reach cluster default at 127.0.0.1:1 within 1000 ms")
          .endsWith("(set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS, and --command-config for a secured cluster)");
      assertThat(seconds).as(name + " took").isLessThan(10);
    }
  }

  @Test
  void lagWatchProgressSaysHowTheLagMoved() {
    LagCommand.Snapshot first = new LagCommand.Snapshot(100, 50, 0);
    LagCommand.Snapshot second = new LagCommand.Snapshot(140, 20, 2_000_000_000L);
    assertThat(first.progressSince(null)).isEqualTo("lag 50");
    assertThat(second.progressSince(first)).isEqualTo("lag 20 (-30), consumed 40 (20.0/s)");
  }

  @Test
  void unknownOptionIsAUsageErrorThatNamesTheOption() {
    Run r = run("demo", "--no-such-flag");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Unknown option: '--no-such-flag'");
  }

  @Test
  void badValuesAreRejectedWithTheirName() {
    Run r = run("demo", "purchases", "--consumers", "0", "--bootstrap-servers", kafka.bootstrapServers());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("consumers (KAFKA_CONSUMER_COUNT, --consumers) (0) must be at least 1");
    Run d = run("demo", "purchases", "--duration", "soon");
    assertThat(d.exitCode()).isEqualTo(2);
    assertThat(d.err()).contains("'soon' is not a duration");
  }

  @Test
  void unreachableBootstrapAddressGivesAClearErrorAndNonZeroExit() {
    Run r = run("demo", "purchases", "--bootstrap-servers", "127.0.0.1:1", "--count", "10");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("cannot reach cluster purchases at 127.0.0.1:1")
        .contains("--bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void purchasesDemoRunsEndToEndAndLagShowsTheGroupCaughtUp() {
    Run r = run("demo", "purchases", "--bootstrap-servers", kafka.bootstrapServers(),
        "--count", "400", "--rate", "0", "--group-id", "cli-test-group", "--partitions", "4");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("produced      400")
        .contains("missing       0")
        .contains("duplicates    0")
        .contains("out of order  0")
        .contains("OK: every purchase was consumed exactly once by group cli-test-group");

    Run lag = run("lag", "--group", "cli-test-group", "--bootstrap-servers", kafka.bootstrapServers());
    assertThat(lag.exitCode()).as(lag.err()).isZero();
    assertThat(lag.out()).contains("purchases").containsPattern("total\\s+0\\s*$");
  }

  @Test
  void purchasesDemoWithoutBootstrapStartsItsOwnBroker() {
    Run r = run("demo", "purchases", "--count", "50", "--rate", "0");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("embedded Kafka at 127.0.0.1:").contains("OK: every purchase");
  }

  @Test
  void pizzaDemoIsTheDefaultAndEveryOrderEnds() {
    Run r = run("demo", "--bootstrap-servers", kafka.bootstrapServers(), "--orders", "5", "--interval", "50ms");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("Sagaflow demo: pizza")
        .contains("placed     5")
        .contains("delivered  4")
        .contains("order-005=kitchen: the oven refuses to bake pineapple")
        .contains("no outcome 0")
        .contains("OK: every order ended");
    assertThat(r.out()).contains("kitchen   put CREATE_PIZZA_SUCCESS", "delivery  put DELIVER_PIZZA_SUCCESS",
        "order     put PIZZA_ORDER_COMPLETED");
  }

  @Test
  void aSingleRoleNeedsASharedBroker() {
    Run r = run("demo", "pizza", "--role", "kitchen");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("--role kitchen runs one saga of a demo spread over processes");
    Run bad = run("demo", "pizza", "--role", "chef", "--bootstrap-servers", kafka.bootstrapServers());
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).contains("--role chef is not one of all, order, kitchen, delivery");
  }

  @Test
  void lagOfAnUnknownGroupSaysSo() {
    Run r = run("lag", "--group", "nobody-here", "--bootstrap-servers", kafka.bootstrapServers());
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("group nobody-here has no committed offsets");
  }
}
