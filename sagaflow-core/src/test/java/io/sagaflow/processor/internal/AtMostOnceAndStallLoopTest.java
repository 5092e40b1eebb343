package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.StalledRecord;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** At-most-once commits and never retries; retried-in-place records show as stalled: MockConsumer. */
class AtMostOnceAndStallLoopTest {
  private static final TopicPartition P0 = tp(0);

  @Test
  void atMostOnceCommitsAPollsRecordsBeforeAnyHandlerReturns() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    LoopHarness h = new LoopHarness(LoopHarness.options().withCommitStrategy(CommitStrategy.AT_MOST_ONCE), r -> {
      started.countDown();
      release.await();
    }).assign(P0);
    try {
      h.add(P0, 0, "a", "b", "c");
      assertThat(h.turnUntil(() -> started.getCount() == 0)).isTrue();
      // The first handler is still blocked, and all three offsets are committed.
      assertThat(h.commits).containsEntry(P0, 3L);
      assertThat(h.inFlight().get()).isEqualTo(3);
    } finally {
      release.countDown();
    }
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0)).isTrue();
    h.commits.clear();
    for (int i = 0; i < 5; i++) {
      h.ticker.advance(Duration.ofSeconds(2)); // past the commit interval: no commit after handling
      h.loop.turn();
    }
    assertThat(h.commits).isEmpty();
  }

  @Test
  void atMostOnceNeverMovesTheCommittedOffsetBackForRecordsFetchedAgain() {
    Map<Long, Integer> runs = new ConcurrentHashMap<>();
    LoopHarness h = new LoopHarness(LoopHarness.options().withCommitStrategy(CommitStrategy.AT_MOST_ONCE),
        r -> runs.merge(r.offset(), 1, Integer::sum)).assign(P0);
    h.add(P0, 0, "a", "b", "c");
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0 && runs.size() == 3)).isTrue();
    assertThat(h.commits).containsEntry(P0, 3L);
    h.commits.clear();
    h.consumer.seek(P0, 1); // as a not-before rewind does
    h.add(P0, 1, "b", "c");
    h.add(P0, 3, "d");
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0 && runs.containsKey(3L))).isTrue();
    assertThat(h.commits).containsEntry(P0, 4L); // forward only: never 2 or 3 again
    h.commits.clear();
    h.consumer.seek(P0, 0);
    h.add(P0, 0, "a");
    for (int i = 0; i < 5; i++) {
      h.loop.turn();
    }
    assertThat(h.commits).isEmpty();
  }

  @Test
  void atMostOnceDropsAFailedRecordWithoutRetryOrFailureHandler() {
    Map<String, Integer> calls = new ConcurrentHashMap<>();
    AtomicBoolean failureHandlerCalled = new AtomicBoolean();
    LoopHarness h = new LoopHarness(LoopHarness.options().withCommitStrategy(CommitStrategy.AT_MOST_ONCE)
        .withFailureHandler(f -> {
          failureHandlerCalled.set(true);
          return FailureDecision.retryAfter(Duration.ZERO);
        }), r -> {
          calls.merge(r.key(), 1, Integer::sum);
          if (r.key().equals("bad")) {
            throw new IllegalStateException("poison");
          }
        }).assign(P0);
    h.add(P0, 0, "ok1", "bad", "ok2");
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0 && calls.size() == 3)).isTrue();
    for (int i = 0; i < 20; i++) {
      h.ticker.advance(Duration.ofSeconds(1));
      h.loop.turn();
    }
    assertThat(calls).containsEntry("bad", 1).containsEntry("ok1", 1).containsEntry("ok2", 1);
    assertThat(failureHandlerCalled).isFalse();
    assertThat(h.state(P0).tracker.commitOffset()).isEqualTo(3);
    assertThat(h.stalls.stalled()).isEmpty();
  }

  @Test
  void aRecordRetriedInPlaceIsListedWithItsAttemptsAndLeavesTheListOnceItSucceeds() {
    AtomicBoolean fixed = new AtomicBoolean();
    LoopHarness h = new LoopHarness(LoopHarness.options()
        .withFailureHandler(f -> FailureDecision.retryAfter(Duration.ofMillis(1))), r -> {
          if (!fixed.get()) {
            throw new IllegalArgumentException("bad payload " + r.value());
          }
        }).assign(P0);
    h.add(P0, 0, "poison");
    assertThat(h.turnUntil(() -> !h.stalls.stalled().isEmpty()
        && h.stalls.stalled().get(0).attempts() >= 3)).isTrue();
    StalledRecord s = h.stalls.stalled().get(0);
    assertThat(s.partition()).isEqualTo(P0);
    assertThat(s.offset()).isZero();
    assertThat(s.key()).isEqualTo("poison");
    assertThat(s.exceptionClass()).isEqualTo(IllegalArgumentException.class.getName());
    assertThat(s.exceptionMessage()).isEqualTo("bad payload poison");
    fixed.set(true);
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0)).isTrue();
    assertThat(h.stalls.stalled()).isEmpty();
  }
}
