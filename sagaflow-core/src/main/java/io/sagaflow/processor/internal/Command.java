package io.sagaflow.processor.internal;

import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/** Messages from worker and user threads to a poll thread (the only caller of the consumer). */
sealed interface Command {
  /** Records of one assignment that finished ({@code offsets[0..finished)}) or were dropped. */
  record Completion(PartitionState state, long[] offsets, int finished, int dropped, long bytes)
      implements Command {}

  /** One record acked (manual commit or publisher). */
  record Ack(Delivery<?, ?> delivery) implements Command {}

  /** Exactly-once: copies a failure handler wrote of a record it finished, for the poll thread to write. */
  record Copies(FailureCopies.Handoff handoff) implements Command {}

  /** User pause/resume. */
  record UserPause(Set<TopicPartition> partitions, boolean pause) implements Command {}
}
