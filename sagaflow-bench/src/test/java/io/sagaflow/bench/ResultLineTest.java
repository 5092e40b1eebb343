package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ResultLineTest {

  @Test
  void formatsAndParsesBothP99Forms() {
    ResultLine observed = new ResultLine("spring", "io", 12_000, 2.0, OptionalLong.of(37), 141);
    assertThat(observed.format())
        .isEqualTo("RESULT system=spring scenario=io records=12000 seconds=2.000 rate=6000 p99_ms=37 heap_mb=141");
    assertThat(ResultLine.parse(observed.format())).isEqualTo(observed);

    ResultLine unobserved = new ResultLine("sagaflow", "noop", 5, 1.0, OptionalLong.empty(), 50);
    assertThat(unobserved.format()).contains("p99_ms=-");
    assertThat(ResultLine.parse(unobserved.format())).isEqualTo(unobserved);
  }

  @Test
  void rejectsLinesWithMissingFields() {
    assertThatThrownBy(() -> ResultLine.parse("RESULT system=raw scenario=noop"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }

  @Test
  void scenariosAreValidatedWithClearMessages() {
    assertThat(Scenario.named("io-1p").partitions()).isEqualTo(1);
    assertThat(Scenario.named("skew").keys()).isEqualTo(Scenario.KeyDistribution.ZIPF);
    assertThatThrownBy(() -> Scenario.named("nope")).hasMessageContaining("noop, io, io-1p, skew");
    assertThatThrownBy(() -> Scenario.named("io").withRecords(0)).hasMessage("records (0) must be positive");
  }
}
