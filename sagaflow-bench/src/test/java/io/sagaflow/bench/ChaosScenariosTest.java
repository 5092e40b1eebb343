package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import io.sagaflow.embedded.LeakCheck;

import picocli.CommandLine;

/**
 * The short form of each {@code sagaflow chaos} scenario (RELIABILITY.md), run for real: child
 * JVMs, SIGKILLs, broker stops, an independent {@code read_committed} checker. A scenario whose
 * promise does not hold would be here too, disabled, naming what fails and what fixes it (none is
 * today).
 */
@ExtendWith(LeakCheck.class)
class ChaosScenariosTest {

  /** What a scenario printed and returned. */
  private record Run(int exitCode, List<String> lines) {
    List<Map<String, String>> results() {
      return lines.stream().filter(l -> l.startsWith("RESULT ")).map(Run::fields).toList();
    }

    private static Map<String, String> fields(String line) {
      Map<String, String> f = new HashMap<>();
      for (String part : line.substring("RESULT ".length()).split(" ")) {
        int eq = part.indexOf('=');
        f.put(part.substring(0, eq), part.substring(eq + 1));
      }
      return f;
    }

    List<String> broken() {
      return lines.stream().filter(l -> l.startsWith("PROMISE BROKEN")).toList();
    }
  }

  /** Runs {@code chaos <args>}, echoing its lines to stdout (the test log) and capturing them. */
  private static Run chaos(String... args) throws Exception {
    CommandLine cl = new CommandLine(new ChaosCommand());
    CommandLine.ParseResult parsed = cl.parseArgs(args);
    ChaosScenario scenario = (ChaosScenario) parsed.subcommand().commandSpec().userObject();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    scenario.out = new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        captured.write(b);
        System.out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        captured.write(b, off, len);
        System.out.write(b, off, len);
      }
    }, true, StandardCharsets.UTF_8);
    int code = scenario.call();
    return new Run(code, captured.toString(StandardCharsets.UTF_8).lines().toList());
  }

  private static void assertHeld(Run run, String scenario, int resultLines) {
    assertThat(run.broken()).as("broken promises").isEmpty();
    assertThat(run.exitCode()).isZero();
    assertThat(run.results()).hasSize(resultLines);
    for (Map<String, String> r : run.results()) {
      assertThat(r).containsEntry("system", "sagaflow").containsEntry("scenario", scenario)
          .containsEntry("lost", "0").containsEntry("reordered", "0")
          .containsKeys("records", "kills", "duplicates", "max_stall_s");
      assertThat(Long.parseLong(r.get("records"))).isPositive();
    }
  }

  @Test
  @Timeout(240)
  void alosKill() throws Exception {
    Run run = chaos("alos-kill", "--short");
    assertHeld(run, "alos-kill", 1);
    assertThat(run.results().getFirst()).containsEntry("kills", "2").containsEntry("drained", "true");
  }

  @Test
  @Timeout(240)
  void eosKill() throws Exception {
    Run run = chaos("eos-kill", "--short");
    assertHeld(run, "eos-kill", 1);
    assertThat(run.results().getFirst()).containsEntry("kills", "2").containsEntry("bounces", "1")
        .containsEntry("duplicates", "0");
  }

  @Test
  @Timeout(240)
  void rebalanceStorm() throws Exception {
    Run run = chaos("rebalance-storm", "--short");
    assertHeld(run, "rebalance-storm", 1);
    assertThat(Integer.parseInt(run.results().getFirst().get("joins"))).isGreaterThanOrEqualTo(3);
  }

  /** Both dlt-outage tests share one run with both modes side by side, as the broker-outage tests do. */
  private static Run dltOutage;

  private static synchronized Run dltOutage() throws Exception {
    if (dltOutage == null) {
      dltOutage = chaos("dlt-outage", "--short", "--modes", "alos,eos");
    }
    return dltOutage;
  }

  @Test
  @Timeout(240)
  void dltOutageAtLeastOnce() throws Exception {
    Run run = dltOutage();
    assertHeld(run, "dlt-outage", 2);
    assertThat(resultOf(run, "alos")).containsEntry("others_progressed", "5/5")
        .containsEntry("final_health", "UP").containsEntry("dead_letters", "1");
  }

  @Test
  @Timeout(240)
  void dltOutageExactlyOnce() throws Exception {
    Run run = dltOutage();
    assertHeld(run, "dlt-outage", 2);
    assertThat(resultOf(run, "eos")).containsEntry("others_progressed", "5/5")
        .containsEntry("final_health", "UP").containsEntry("dead_letters", "1").containsEntry("duplicates", "0");
  }

  /**
   * Both broker-outage tests share one run of the scenario with both modes side by side (one
   * cluster, one outage, a processor JVM per mode): half the time of a run per mode. Whichever test
   * comes first runs it.
   */
  private static Run brokerOutage;

  private static synchronized Run brokerOutage() throws Exception {
    if (brokerOutage == null) {
      brokerOutage = chaos("broker-outage", "--short", "--modes", "alos,eos");
    }
    return brokerOutage;
  }

  private static Map<String, String> resultOf(Run run, String mode) {
    return run.results().stream().filter(r -> mode.equals(r.get("mode"))).findFirst()
        .orElseThrow(() -> new AssertionError("no RESULT line for mode " + mode + ": " + run.lines()));
  }

  @Test
  @Timeout(240)
  void brokerOutageExactlyOnce() throws Exception {
    Run run = brokerOutage();
    assertHeld(run, "broker-outage", 2);
    Map<String, String> r = resultOf(run, "eos");
    assertThat(r).containsEntry("duplicates", "0").containsEntry("processor_alive", "true")
        .containsEntry("drained", "true").containsEntry("final_health", "UP");
    assertThat(Double.parseDouble(r.get("health_down_s"))).as("status DOWN while every broker was down").isPositive();
  }

  @Test
  @Timeout(240)
  void brokerOutageAtLeastOnce() throws Exception {
    Run run = brokerOutage();
    assertHeld(run, "broker-outage", 2);
    Map<String, String> r = resultOf(run, "alos");
    assertThat(r).containsEntry("processor_alive", "true").containsEntry("drained", "true")
        .containsEntry("final_health", "UP");
    assertThat(Double.parseDouble(r.get("health_down_s"))).as("status DOWN while every broker was down").isPositive();
  }

  @Test
  @Timeout(120)
  void unreachable() throws Exception {
    Run run = chaos("unreachable", "--short");
    assertThat(run.broken()).isEmpty();
    assertThat(run.exitCode()).isZero();
  }
}
