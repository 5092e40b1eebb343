package io.sagaflow.processor;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * A read-only snapshot of a processor, for health checks and tooling. Refreshed by the poll threads
 * at least every few hundred milliseconds, so it may lag slightly.
 *
 * @param state lifecycle state
 * @param assignedPartitions partitions currently assigned to this processor
 * @param pausedPartitions partitions currently paused (by the processor or by the user)
 * @param userPausedPartitions partitions paused through {@link Processor#pause}
 * @param inFlight records fetched and not yet finished
 * @param bufferedBytes serialized bytes of those records
 * @param committedOffsets last offsets this processor committed successfully, per partition
 * @param lastError the last error seen (commit failure, stopping record failure), if any
 */
public record ProcessorStatus(
    State state,
    Set<TopicPartition> assignedPartitions,
    Set<TopicPartition> pausedPartitions,
    Set<TopicPartition> userPausedPartitions,
    long inFlight,
    long bufferedBytes,
    Map<TopicPartition, Long> committedOffsets,
    Optional<Throwable> lastError) {

  public ProcessorStatus {
    assignedPartitions = Set.copyOf(assignedPartitions);
    pausedPartitions = Set.copyOf(pausedPartitions);
    userPausedPartitions = Set.copyOf(userPausedPartitions);
    committedOffsets = Map.copyOf(committedOffsets);
  }

  /** Lifecycle of a processor. */
  public enum State {
    NEW,
    RUNNING,
    CLOSING,
    CLOSED,
    /** Stopped because a {@link FailureHandler} decided {@link FailureDecision#stop()}, or a fatal error. */
    FAILED
  }
}
