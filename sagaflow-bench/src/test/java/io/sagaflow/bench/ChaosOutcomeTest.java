package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ChaosOutcomeTest {

  @Test
  void printsTheResultLineWithTheCommonFieldsFirstAndExitsOneWhenAPromiseBroke() {
    ChaosOutcome o = new ChaosOutcome("eos-kill").put("mode", "eos").put("records", 10).put("lost", 0)
        .put("max_stall_s", 1.24).put("pending", null)
        .promise(true, "lost = 0", "unused")
        .promise(false, "duplicates = 0", "3 duplicates");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int code = o.print(new PrintStream(b, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(b.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "RESULT system=sagaflow scenario=eos-kill records=10 kills=- lost=0 duplicates=- reordered=- "
            + "max_stall_s=1.2 mode=eos pending=-",
        "PROMISE held: lost = 0",
        "PROMISE BROKEN: duplicates = 0 -- 3 duplicates");
  }

  @Test
  void exitsZeroWhenEveryPromiseHeld() {
    ChaosOutcome o = new ChaosOutcome("alos-kill").promise(true, "lost = 0", "-");
    assertThat(o.held()).isTrue();
    assertThat(o.print(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isZero();
  }

  @Test
  void statusLinesAreParsedAndInterleavedLoggingIsSkipped() {
    assertThat(ChaosStatus.parse("STATUS t=1700000000000 state=RUNNING assigned=3 health=DOWN error=x: y z"))
        .isEqualTo(new ChaosStatus(1700000000000L, "RUNNING", "DOWN", "x: y z"));
    assertThat(ChaosStatus.parse("STATUS t=17\tat org.apache.Foo")).isNull();
    assertThat(ChaosStatus.parseAll(java.util.List.of("READY", "STATUS t=1 state=NEW assigned=0 health=- error=-")))
        .containsExactly(new ChaosStatus(1, "NEW", "-", "-"));
  }
}
