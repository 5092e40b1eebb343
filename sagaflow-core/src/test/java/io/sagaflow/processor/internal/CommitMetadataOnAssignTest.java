package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.keys;
import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.CommitStrategy;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a newly assigned partition makes of the metadata committed with its offset, and what its
 * next commit carries, on a MockConsumer: only Sagaflow's own metadata for exactly the committed
 * offset may skip records; anything else is ignored, so that nothing is lost.
 */
@Timeout(30)
class CommitMetadataOnAssignTest {
  private static final TopicPartition P0 = tp(0);
  private static final int MAX_CHARS = 3000;

  /** A loop whose partition 0 was last committed at {@code offset} with {@code metadata}. */
  private static LoopHarness assignedAfterCommit(long offset, String metadata, Set<Long> ran) {
    LoopHarness h = new LoopHarness(LoopHarness.options().withCommitStrategy(CommitStrategy.NONE),
        r -> ran.add(r.offset()));
    h.assign(P0);
    h.consumer.commitSync(Map.of(P0, new OffsetAndMetadata(offset, metadata)));
    h.consumer.rebalance(List.of()); // NONE: the revoke commits nothing over it
    h.consumer.rebalance(List.of(P0));
    return h;
  }

  private static void assertEveryRecordFromTheOffsetRuns(LoopHarness h, Set<Long> ran) {
    PartitionState s = h.state(P0);
    assertThat(s.tracker.classify(4)).isEqualTo(OffsetTracker.SKIP);
    for (long o = 5; o < 10; o++) {
      assertThat(s.tracker.classify(o)).as("offset %d", o).isEqualTo(OffsetTracker.NEW);
    }
    h.add(P0, 5, keys("k", 5));
    assertThat(h.turnUntil(() -> ran.size() == 5)).isTrue();
    assertThat(ran).containsExactlyInAnyOrder(5L, 6L, 7L, 8L, 9L);
  }

  @Test
  void metadataOfAnotherToolIsIgnoredAndNothingIsSkipped() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    String parallelConsumer = Base64.getEncoder().encodeToString(new byte[] {'b', 0x01, 0x00, 0x10, (byte) 0xFF});
    assertEveryRecordFromTheOffsetRuns(assignedAfterCommit(5, parallelConsumer, ran), ran);
  }

  @Test
  void corruptMetadataOfOursIsIgnoredAndNothingIsSkipped() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    // Our prefix, then a payload that does not decode (a truncated varint).
    String corrupt = OffsetMetadataCodec.PREFIX
        + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {(byte) 0x80});
    assertEveryRecordFromTheOffsetRuns(assignedAfterCommit(5, corrupt, ran), ran);
  }

  @Test
  void metadataWrittenForAnotherOffsetIsIgnoredAndNothingIsSkipped() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    // Says 6 and 7 finished above offset 3; but the committed offset is 5 (someone reset it).
    String stale = OffsetMetadataCodec.encode(3, new long[] {3, 2}, 2, MAX_CHARS).metadata();
    assertThat(OffsetMetadataCodec.decode(stale)).isInstanceOf(OffsetMetadataCodec.Ours.class);
    assertEveryRecordFromTheOffsetRuns(assignedAfterCommit(5, stale, ran), ran);
  }

  @Test
  void emptyMetadataStartsAtTheCommittedOffset() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    assertEveryRecordFromTheOffsetRuns(assignedAfterCommit(5, "", ran), ran);
  }

  @Test
  void restoredFinishedOffsetsAreKeptInCommitsUntilTheGapCloses() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    // Committed 5; 7 and 8 finished out of order (runs: 2 unfinished, 2 finished).
    String meta = OffsetMetadataCodec.encode(5, new long[] {2, 2}, 2, MAX_CHARS).metadata();
    LoopHarness h = assignedAfterCommit(5, meta, ran);
    PartitionState s = h.state(P0);

    // Before anything ran, a commit may only repeat what was committed: the finished 7 and 8 stay.
    Map<TopicPartition, OffsetAndMetadata> first = CommitOffsets.collect(List.of(s), MAX_CHARS);
    if (!first.isEmpty()) {
      assertThat(first.get(P0).offset()).isEqualTo(5);
      assertThat(((OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(first.get(P0).metadata())).finishedRanges())
          .containsExactly(7L, 9L);
      s.lastCommitted = first.get(P0);
    }

    // 5 runs: the gap below 6 closes, 7 and 8 are still listed above it.
    h.add(P0, 5, keys("k", 1));
    assertThat(h.turnUntil(() -> ran.contains(5L) && s.tracker.commitOffset() == 6)).isTrue();
    OffsetAndMetadata afterFive = CommitOffsets.collect(List.of(s), MAX_CHARS).get(P0);
    assertThat(afterFive.offset()).isEqualTo(6);
    assertThat(((OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(afterFive.metadata())).finishedRanges())
        .containsExactly(7L, 9L);
    s.lastCommitted = afterFive;
    assertThat(CommitOffsets.collect(List.of(s), MAX_CHARS)).as("nothing new: no second commit").isEmpty();

    // 6 runs, 7 and 8 are skipped (finished before): the offset moves past them, with no metadata left.
    h.add(P0, 6, keys("k", 4));
    assertThat(h.turnUntil(() -> ran.contains(6L) && ran.contains(9L) && s.tracker.commitOffset() == 10)).isTrue();
    assertThat(ran).doesNotContain(7L, 8L);
    OffsetAndMetadata closed = CommitOffsets.collect(List.of(s), MAX_CHARS).get(P0);
    assertThat(closed).isEqualTo(new OffsetAndMetadata(10, ""));
  }
}
