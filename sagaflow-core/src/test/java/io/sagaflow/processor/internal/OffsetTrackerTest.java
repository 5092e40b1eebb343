package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

  @Test
  void commitsOnlyBelowTheFirstUnfinishedRecord() {
    OffsetTracker t = new OffsetTracker(-1, null);
    assertThat(t.commitOffset()).isEqualTo(-1);
    for (long o = 10; o < 15; o++) {
      assertThat(t.classify(o)).isEqualTo(OffsetTracker.NEW);
      t.register(o);
    }
    assertThat(t.commitOffset()).isEqualTo(10);
    t.finished(12);
    t.finished(14);
    assertThat(t.commitOffset()).isEqualTo(10);
    t.finished(10);
    assertThat(t.commitOffset()).isEqualTo(11);
    t.finished(11);
    assertThat(t.commitOffset()).isEqualTo(13);
    t.finished(13);
    assertThat(t.commitOffset()).isEqualTo(15);
    assertThat(t.unfinishedCount()).isZero();
  }

  @Test
  void gapsBetweenRecordsCountAsFinished() {
    OffsetTracker t = new OffsetTracker(0, null);
    t.register(0);
    t.register(5); // 1..4 were compacted away or transaction markers
    t.finished(0);
    assertThat(t.commitOffset()).isEqualTo(5);
    t.finished(5);
    assertThat(t.commitOffset()).isEqualTo(6);
  }

  @Test
  void alreadySeenOffsetsAreSkipped() {
    OffsetTracker t = new OffsetTracker(100, null);
    assertThat(t.classify(99)).isEqualTo(OffsetTracker.SKIP);
    t.register(100);
    assertThat(t.classify(100)).isEqualTo(OffsetTracker.SKIP);
    assertThat(t.classify(101)).isEqualTo(OffsetTracker.NEW);
  }

  @Test
  void outOfOrderCompletionsRoundTripThroughTheMetadata() {
    OffsetTracker t = new OffsetTracker(0, null);
    for (long o = 0; o < 10; o++) {
      t.register(o);
    }
    for (long o : new long[] {1, 2, 5, 7, 8}) {
      t.finished(o);
    }
    OffsetMetadataCodec.Encoded e = t.encode(PollLoop.METADATA_MAX_CHARS);
    assertThat(e.overflow()).isFalse();
    assertThat(e.metadata()).startsWith("sf1:");
    OffsetMetadataCodec.Ours ours = (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(e.metadata());
    assertThat(ours.base()).isEqualTo(0);
    assertThat(ours.finishedRanges()).containsExactly(1, 3, 5, 6, 7, 9);

    // A new owner restores: 0,3,4,6,9 are to do; 1,2,5,7,8 are skipped.
    OffsetTracker restored = new OffsetTracker(0, ours.finishedRanges());
    StringBuilder todo = new StringBuilder();
    for (long o = 0; o < 12; o++) {
      int kind = restored.classify(o);
      if (kind == OffsetTracker.NEW) {
        restored.register(o);
      }
      if (kind != OffsetTracker.SKIP) {
        todo.append(o).append(' ');
      }
    }
    assertThat(todo.toString().trim()).isEqualTo("0 3 4 6 9 10 11");
    assertThat(restored.commitOffset()).isEqualTo(0);
    // Before anything new finishes, the restored map is re-committed, not lost.
    OffsetMetadataCodec.Ours again =
        (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(restored.encode(3000).metadata());
    assertThat(again.finishedRanges()).containsExactly(1, 3, 5, 6, 7, 9);
    for (long o : new long[] {0, 3, 4, 6, 9, 10, 11}) {
      restored.finished(o);
    }
    assertThat(restored.commitOffset()).isEqualTo(12);
    assertThat(restored.encode(3000).metadata()).isEmpty();
  }

  @Test
  void restoredMetadataSurvivesBeforeItsRecordsAreRefetched() {
    OffsetTracker t = new OffsetTracker(50, new long[] {52, 54});
    assertThat(t.commitOffset()).isEqualTo(50);
    OffsetMetadataCodec.Ours ours =
        (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(t.encode(3000).metadata());
    assertThat(ours.base()).isEqualTo(50);
    assertThat(ours.finishedRanges()).containsExactly(52, 54);
  }

  @Test
  void manyGapsOverflowTheCapAndKeepThePrefixThatFits() {
    OffsetTracker t = new OffsetTracker(0, null);
    for (long o = 0; o < 20_000; o++) {
      t.register(o);
    }
    for (long o = 1; o < 20_000; o += 2) {
      t.finished(o); // every other record finished: 10,000 gaps
    }
    OffsetMetadataCodec.Encoded e = t.encode(300);
    assertThat(e.overflow()).isTrue();
    assertThat(e.metadata().length()).isLessThanOrEqualTo(300);
    OffsetMetadataCodec.Ours ours = (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(e.metadata());
    assertThat(ours.rangeCount()).isGreaterThan(50);
    // The prefix is exact: each listed range is a finished odd offset.
    for (int i = 0; i < ours.rangeCount(); i++) {
      assertThat(ours.finishedRanges()[2 * i]).isEqualTo(2L * i + 1);
      assertThat(ours.finishedRanges()[2 * i + 1]).isEqualTo(2L * i + 2);
    }
    // Closing the gaps makes it fit again.
    for (long o = 0; o < 20_000; o += 2) {
      t.finished(o);
    }
    assertThat(t.encode(300).overflow()).isFalse();
    assertThat(t.commitOffset()).isEqualTo(20_000);
  }

  @Test
  void memoryFollowsTheWindowNotTheHistory() {
    OffsetTracker t = new OffsetTracker(0, null);
    for (long o = 0; o < 1_000_000; o++) {
      t.register(o);
      t.finished(o);
    }
    assertThat(t.commitOffset()).isEqualTo(1_000_000);
    t.register(1_000_000);
    assertThat(t.commitOffset()).isEqualTo(1_000_000);
    assertThat(t.unfinishedCount()).isEqualTo(1);
  }
}
