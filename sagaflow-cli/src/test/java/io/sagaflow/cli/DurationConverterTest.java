package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class DurationConverterTest {

  @Test
  void acceptsAWholeNumberWithAUnitOrIso8601() {
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationConverter.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(DurationConverter.parse("0s")).isEqualTo(Duration.ZERO);
    assertThat(DurationConverter.parse(" 90S ")).isEqualTo(Duration.ofSeconds(90));
    assertThat(DurationConverter.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    assertThat(DurationConverter.parse("pt0.5s")).isEqualTo(Duration.ofMillis(500));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s", "60", "1.5s", "soon", "2d", "-1s", "-PT5S", "PTX", "99999999999999999999s"})
  void rejectsAnythingElseNamingTheTextAndTheAcceptedForms(String text) {
    assertThatThrownBy(() -> DurationConverter.parse(text))
        .isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessage("'" + text + "' is not a duration: write it like 500ms, 30s, 2m, 1h or PT1M30S"
            + " (a whole number and a unit, not negative)");
  }

  @Command(name = "t")
  static final class Cmd implements Runnable {
    @Option(names = "--every", converter = DurationConverter.class)
    Duration every;

    @Override
    public void run() {}
  }

  @Test
  void picocliReportsABadValueAsAUsageError() {
    Cmd cmd = new Cmd();
    StringWriter err = new StringWriter();
    int code = new CommandLine(cmd).setErr(new PrintWriter(err)).execute("--every", "10x");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("'10x' is not a duration: write it like 500ms");

    assertThat(new CommandLine(cmd).execute("--every", "150ms")).isZero();
    assertThat(cmd.every).isEqualTo(Duration.ofMillis(150));
  }
}
