package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * {@code FailureDecision.doneWhen}: the lane goes on at once, and the record's offset is committed
 * only after its hand-off completed; a failed hand-off is asked about again. MockConsumer.
 */
class HandOffsLoopTest {
  private static final TopicPartition P0 = tp(0);

  /** Commits whatever finished (the commit interval passes on the fake clock). */
  private static void commit(LoopHarness h) {
    h.ticker.advance(Duration.ofSeconds(2));
    h.loop.turn();
  }

  @Test
  void theKeyGoesOnAtOnceAndTheOffsetWaitsForTheHandOff() {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    Set<Long> handled = ConcurrentHashMap.newKeySet();
    LoopHarness h = new LoopHarness(LoopHarness.options()
        .withFailureHandler(f -> FailureDecision.doneWhen(acked)), r -> {
          if (r.offset() == 0) {
            throw new IllegalStateException("poison");
          }
          handled.add(r.offset());
        }).assign(P0);
    h.add(P0, 0, "k", "k", "k"); // one key: its lane is the one the failed record ran on

    assertThat(h.turnUntil(() -> handled.size() == 2)).isTrue();
    commit(h);
    assertThat(h.state(P0).tracker.commitOffset()).isZero();
    assertThat(h.commits.getOrDefault(P0, 0L)).isZero();
    assertThat(h.inFlight().get()).isEqualTo(1);

    acked.complete(null);
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0)).isTrue();
    commit(h);
    assertThat(h.commits).containsEntry(P0, 3L);
  }

  @Test
  void aFailedHandOffIsAskedAgainAndTheOffsetWaitsUntilOneSucceeds() {
    List<FailedRecord> calls = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> second = new CompletableFuture<>();
    LoopHarness h = new LoopHarness(LoopHarness.options().withFailureHandler(f -> {
      calls.add(f);
      return FailureDecision.doneWhen(calls.size() == 1
          ? CompletableFuture.failedFuture(new IllegalStateException("dead-letter topic rejects writes"))
          : second);
    }), r -> {
      throw new IllegalArgumentException("bad " + r.offset());
    }).assign(P0);
    h.add(P0, 0, "k");

    assertThat(h.turnUntil(() -> calls.size() == 2)).isTrue();
    assertThat(calls.get(1).error()).isSameAs(calls.get(0).error());
    assertThat(calls.get(1).attempt()).isEqualTo(calls.get(0).attempt());
    assertThat(h.runtime.status().lastError()).isPresent();
    commit(h);
    assertThat(h.state(P0).tracker.commitOffset()).isZero();
    assertThat(h.inFlight().get()).isEqualTo(1);

    second.complete(null);
    assertThat(h.turnUntil(() -> h.inFlight().get() == 0)).isTrue();
    commit(h);
    assertThat(h.commits).containsEntry(P0, 1L);
    assertThat(calls).hasSize(2);
    assertThat(h.stalls.stalled()).isEmpty();
  }

  @Test
  void aHandOffCompletedBeforeItIsReturnedFinishesTheRecordLikeDone() {
    LoopHarness h = new LoopHarness(LoopHarness.options()
        .withFailureHandler(f -> FailureDecision.doneWhen(CompletableFuture.completedFuture(null))), r -> {
          throw new IllegalStateException("poison");
        }).assign(P0);
    h.add(P0, 0, "a", "b", "c");

    assertThat(h.turnUntil(() -> h.inFlight().get() == 0 && h.state(P0).tracker.commitOffset() == 3)).isTrue();
    commit(h);
    assertThat(h.commits).containsEntry(P0, 3L);
  }
}
