package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TrackerTest {
  private static final String TOPIC = "t";

  private static Map<TopicPartition, OffsetAndMetadata> commit(int partition, long nextOffset) {
    return Map.of(new TopicPartition(TOPIC, partition), new OffsetAndMetadata(nextOffset));
  }

  @Test
  void recordIsDoneOnlyWhenCompletedAndCoveredByAnAcknowledgedCommit() throws Exception {
    Tracker tracker = new Tracker(TOPIC, new long[] {0, 10}, new long[] {3, 12}, true);
    assertThat(tracker.expected()).isEqualTo(5);

    tracker.completed(0, 0);
    tracker.completed(0, 1);
    assertThat(tracker.done()).isZero();

    tracker.committed(commit(0, 1));
    assertThat(tracker.done()).isEqualTo(1);

    // An older async commit acknowledged late does not count anything twice.
    tracker.committed(commit(0, 1));
    tracker.committed(commit(0, 0));
    assertThat(tracker.done()).isEqualTo(1);

    // A commit over a record that never completed does not make it done.
    tracker.committed(commit(0, 3));
    assertThat(tracker.done()).isEqualTo(2);

    tracker.completed(1, 10);
    tracker.completed(1, 10); // redelivered: counted once
    tracker.completed(1, 11);
    assertThat(tracker.completedCount()).isEqualTo(4);
    tracker.committed(Map.of(new TopicPartition("other", 1), new OffsetAndMetadata(12)));
    assertThat(tracker.done()).isEqualTo(2);
    tracker.committed(commit(1, 12));
    assertThat(tracker.done()).isEqualTo(4);
    assertThat(tracker.awaitAllDone(0, TimeUnit.MILLISECONDS)).isFalse();
    assertThat(tracker.p99Millis()).isPresent();
  }

  @Test
  void withoutObservableCommitsACompletedRecordIsDoneAndThereIsNoP99() throws Exception {
    Tracker tracker = new Tracker(TOPIC, new long[] {0}, new long[] {2}, false);
    tracker.completed(0, 0);
    tracker.completed(0, 1);
    tracker.completed(0, 5); // outside the produced range: ignored
    assertThat(tracker.done()).isEqualTo(2);
    assertThat(tracker.awaitAllDone(1, TimeUnit.SECONDS)).isTrue();
    assertThat(tracker.p99Millis()).isEmpty();
  }
}
