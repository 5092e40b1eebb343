package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.StalledRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** When a failing record is listed, warned about and alarmed on: fake clock, no handler threads. */
class StallWatchTest {
  private static final TopicPartition TP = new TopicPartition("t", 2);
  private final FakeTicker ticker = new FakeTicker();
  private final List<Long> gauge = new ArrayList<>();
  private final StallWatch watch = new StallWatch(ticker, Duration.ofMinutes(5).toNanos(), new Metrics() {
    @Override
    public void stalledRecords(long count) {
      gauge.add(count);
    }
  });

  private StallWatch.Entry fail(StallWatch.Entry e, int attempt) {
    return watch.failed(e, TP, 7, "k1", null, attempt, new IllegalStateException("boom " + attempt));
  }

  @Test
  void listedAfterThreeAttemptsWithKeyOffsetAttemptsFirstFailureAndException() {
    Instant first = Instant.ofEpochMilli(ticker.currentTimeMillis());
    StallWatch.Entry e = fail(null, 1);
    ticker.advance(Duration.ofMillis(100));
    e = fail(e, 2);
    assertThat(watch.stalled()).isEmpty();
    assertThat(gauge).isEmpty();

    ticker.advance(Duration.ofMillis(200));
    fail(e, 3);

    assertThat(watch.stalled()).containsExactly(new StalledRecord(
        TP, 7, "k1", 3, first, IllegalStateException.class.getName(), "boom 3"));
    assertThat(gauge).containsExactly(1L);
  }

  @Test
  void listedAfterTenSecondsEvenWithFewAttempts() {
    StallWatch.Entry e = fail(null, 1);
    ticker.advance(Duration.ofSeconds(StalledRecord.MIN_AGE_SECONDS));
    fail(e, 2);
    assertThat(watch.stalled()).extracting(StalledRecord::attempts).containsExactly(2);
  }

  @Test
  void clearedRecordLeavesTheListAndTheGauge() {
    StallWatch.Entry e = fail(fail(fail(null, 1), 2), 3);
    watch.cleared(e);
    assertThat(watch.stalled()).isEmpty();
    assertThat(watch.alarm()).isEmpty();
    assertThat(gauge).containsExactly(1L, 0L);
  }

  @Test
  void warnsAfterOneTwoFourEightSixteenMinutesThenEverySixteen() {
    StallWatch.Entry e = fail(null, 1);
    List<Integer> warnedAtMinute = new ArrayList<>();
    int attempt = 1;
    for (int second = 1; second <= 60 * 60; second++) {
      ticker.advance(Duration.ofSeconds(1)); // a failure every second: one WARN each time one is due
      long before = watch.warnings.get();
      e = fail(e, ++attempt);
      if (watch.warnings.get() != before) {
        warnedAtMinute.add(second / 60);
      }
    }
    assertThat(warnedAtMinute).containsExactly(1, 2, 4, 8, 16, 32, 48);
  }

  @Test
  void lateFailureWarnsOnceAndSkipsThePastSteps() {
    StallWatch.Entry e = fail(null, 1);
    ticker.advance(Duration.ofMinutes(5));
    e = fail(e, 2);
    assertThat(watch.warnings.get()).isEqualTo(1);
    ticker.advance(Duration.ofMinutes(2)); // 7 min: the next is due at 8
    e = fail(e, 3);
    assertThat(watch.warnings.get()).isEqualTo(1);
    ticker.advance(Duration.ofMinutes(1));
    fail(e, 4);
    assertThat(watch.warnings.get()).isEqualTo(2);
  }

  @Test
  void alarmAfterTheConfiguredTimeNamesTheRecordAndTheCause() {
    StallWatch.Entry e = fail(null, 1);
    ticker.advance(Duration.ofMinutes(5).minusMillis(1));
    assertThat(watch.alarm()).isEmpty();
    ticker.advance(Duration.ofMillis(1));
    assertThat(watch.alarm()).singleElement().asString()
        .contains("t-2@7", "key k1", "boom 1", "failure handler");
    watch.cleared(e);
    assertThat(watch.alarm()).isEmpty();
  }

  @Test
  void aRejectedFailureCopyAlarmsAtOnceNamingTheCauseUntilTheRecordLeaves() {
    StallWatch.Entry e = fail(null, 1);
    assertThat(watch.alarm()).isEmpty();

    watch.copyRejected(e, new IllegalStateException("exactly-once: t-dlt rejects writes: RecordTooLargeException"));

    assertThat(watch.alarm()).singleElement().asString()
        .contains("t-2@7", "k1", "t-dlt rejects writes: RecordTooLargeException");
    assertThat(watch.stalled()).extracting(StalledRecord::offset).containsExactly(7L);
    assertThat(gauge).containsExactly(1L);
    watch.cleared(e);
    assertThat(watch.alarm()).isEmpty();
    assertThat(gauge).containsExactly(1L, 0L);
  }
}
