package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.saga.ActionDecodingException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The rate bound of dead-letter lines, on a fake clock. */
class DeadLetterLogTest {

  @Test
  void atMostOneLinePerIntervalAndTheNextLineCountsTheOnesHeldBack() {
    AtomicLong nanos = new AtomicLong(1_000);
    PrintStream originalErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    DeadLetterLog log;
    try {
      log = new DeadLetterLog(LoggerFactory.getLogger("dead-letter-log-test"), nanos::get, Duration.ofSeconds(10));
      log.deadLettered("T", 0, 1, "T-dlt", new ActionDecodingException("T", "record T-0@1 is not JSON", null));
      log.deadLettered("T", 0, 2, "T-dlt", new IllegalStateException("oven broken"));
      nanos.addAndGet(Duration.ofSeconds(9).toNanos());
      log.deadLettered("T", 1, 3, "T-dlt", new IllegalStateException("oven broken"));
      nanos.addAndGet(Duration.ofSeconds(1).toNanos());
      log.deadLettered("T", 2, 4, "T-dlt", new TimeoutException("too slow"));
      log.deadLettered("T", 2, 5, "T-dlt", new IllegalStateException("oven broken"));
    } finally {
      System.setErr(originalErr);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains("saga dead letter:")).toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains("WARN").contains("topic=T partition=0 offset=1 written to T-dlt")
        .contains("reason: not a valid action: record T-0@1 is not JSON").doesNotContain("not logged");
    assertThat(lines.get(1)).contains("topic=T partition=2 offset=4").contains("reason: the saga timed out: too slow")
        .contains("2 more dead letters since the previous line were not logged; at most one line per 10 s");
    assertThat(log.count()).isEqualTo(5);
  }
}
