package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.keys;
import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.Ordering;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Assign, revoke and close of a poll loop on a MockConsumer. */
@Timeout(30) // a wrong drain or dispatch would otherwise hang on the fake clock
class RebalanceHandlerTest {
  private static final TopicPartition P0 = tp(0);
  private static final TopicPartition P1 = tp(1);

  @Test
  void anAssignedPartitionSkipsWhatItsCommitMetadataListsAsFinished() {
    // Committed 5; of 5..8, 7 finished out of order (runs: 2 unfinished, 1 finished).
    OffsetMetadataCodec.Encoded meta = OffsetMetadataCodec.encode(5, new long[] {2, 1}, 2, 3000);
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    LoopHarness h = new LoopHarness(LoopHarness.options().withCommitStrategy(CommitStrategy.NONE), r -> ran.add(r.offset()));
    h.assign(P0);
    h.consumer.commitSync(Map.of(P0, new OffsetAndMetadata(5, meta.metadata())));
    h.consumer.rebalance(List.of()); // NONE: the revoke commits nothing over it
    h.consumer.rebalance(List.of(P0));
    PartitionState s = h.state(P0);
    assertThat(s.tracker.classify(4)).isEqualTo(OffsetTracker.SKIP);
    assertThat(s.tracker.classify(6)).isEqualTo(OffsetTracker.RESTORED);
    assertThat(s.tracker.classify(7)).isEqualTo(OffsetTracker.SKIP);
    assertThat(s.tracker.classify(8)).isEqualTo(OffsetTracker.NEW);

    h.add(P0, 5, keys("k", 5));
    assertThat(h.turnUntil(() -> ran.size() == 4)).isTrue();
    assertThat(ran).containsExactlyInAnyOrder(5L, 6L, 8L, 9L);
  }

  @Test
  void aRevokeWaitsForTheRunningRecordsThenCommitsThem() {
    // All three run at once (unordered); records not started when a revoke begins would be given up.
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(3);
    LoopHarness h = new LoopHarness(LoopHarness.options().withOrdering(Ordering.UNORDERED), r -> {
      started.countDown();
      release.await();
    }).assign(P0, P1);
    h.add(P0, 0, keys("k", 3));
    h.loop.turn();
    assertThat(h.state(P0).outstanding).isEqualTo(3);
    PartitionState revoked = h.state(P0);
    assertThat(h.turnUntil(() -> started.getCount() == 0)).as("all three running").isTrue();

    // The handlers are let go once the revoke starts: it must wait for them (it reads the clock
    // for its deadline first), or it would commit nothing.
    h.ticker.onNextRead(release::countDown);
    h.consumer.rebalance(List.of(P1)); // revokes P0 on this (the poll) thread, draining it first

    assertThat(h.commits).containsEntry(P0, 3L);
    assertThat(revoked.lastCommitted.offset()).isEqualTo(3);
    assertThat(revoked.detached).isTrue();
    assertThat(h.loop.assignment().partitions()).containsExactly(P1);
    assertThat(h.loop.snapshot().assigned()).containsExactly(P1);
    assertThat(h.inFlight().get()).isZero();

    h.consumer.rebalance(List.of(P0, P1)); // back: restored from the commit the revoke made
    assertThat(h.state(P0).tracker.commitOffset()).isEqualTo(3);
  }

  @Test
  void closeCommitsWhatFinishedAndClosesTheConsumer() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    LoopHarness h = new LoopHarness(LoopHarness.options().withCommitStrategy(CommitStrategy.SYNC_PER_BATCH),
        r -> ran.add(r.offset())).assign(P0);
    h.add(P0, 0, keys("k", 4));
    assertThat(h.turnUntil(() -> ran.size() == 4)).isTrue();
    h.loop.requestClose(h.ticker.nanoTime() + 1_000_000_000L);
    h.loop.run(); // closing: drains, commits, closes
    assertThat(h.consumer.closed()).isTrue();
    assertThat(h.commits).containsEntry(P0, 4L);
    assertThat(h.loop.snapshot().assigned()).isEmpty();
  }
}
