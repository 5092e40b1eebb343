package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.LeakCheck;
import picocli.CommandLine;

/**
 * The short form of {@code sagaflow chaos sagas} (RELIABILITY.md, "Durable sagas under kill -9"),
 * run for real: durable saga consumer JVMs SIGKILLed and restarted, an echo participant JVM, and an
 * independent {@code read_committed} checker.
 */
@ExtendWith(LeakCheck.class)
class ChaosSagasTest {

  private record Run(int exitCode, List<String> lines) {
    Map<String, String> line(String prefix) {
      String line = lines.stream().filter(l -> l.startsWith(prefix + " ")).findFirst()
          .orElseThrow(() -> new AssertionError("no " + prefix + " line in:\n" + String.join("\n", lines)));
      Map<String, String> f = new HashMap<>();
      for (String part : line.substring(prefix.length() + 1).split(" ")) {
        int eq = part.indexOf('=');
        f.put(part.substring(0, eq), part.substring(eq + 1));
      }
      return f;
    }
  }

  private static Run chaosSagas(String... args) throws Exception {
    CommandLine cl = new CommandLine(new ChaosCommand());
    CommandLine.ParseResult parsed = cl.parseArgs(args);
    ChaosSagas scenario = (ChaosSagas) parsed.subcommand().commandSpec().userObject();
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

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void threeStepSagasCompleteOnceThroughTwoKills() throws Exception {
    Run run = chaosSagas("sagas", "--short", "--sagas", "200", "--kills", "2");
    assertThat(run.line("RESULT")).containsEntry("system", "sagaflow-durable").containsEntry("scenario", "chaos-sagas")
        .containsEntry("sagas", "200").containsEntry("kills", "2").containsEntry("completed", "200")
        .containsEntry("duplicate_puts", "0").containsEntry("lost", "0").containsEntry("stuck", "0");
    assertThat(run.exitCode()).isZero();
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void delaysKilledMidwayEndWithinTheirBounds() throws Exception {
    Run run = chaosSagas("sagas", "--short", "--sagas", "20", "--kills", "1", "--delay", "8s");
    assertThat(run.line("RESULT")).containsEntry("completed", "20").containsEntry("duplicate_puts", "0")
        .containsEntry("lost", "0").containsEntry("stuck", "0").containsEntry("kills", "1");
    Map<String, String> timers = run.line("TIMERS");
    assertThat(Integer.parseInt(timers.get("killed_mid_delay"))).as("sagas in their delay at the kill").isPositive();
    assertThat(timers).containsEntry("early", "0").containsEntry("late", "0");
    assertThat(Long.parseLong(timers.get("min_lateness_ms"))).isNotNegative();
    assertThat(run.exitCode()).isZero();
  }
}
