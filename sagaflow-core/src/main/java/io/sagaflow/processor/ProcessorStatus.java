package io.sagaflow.processor;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * A read-only snapshot of a processor, for health checks and tooling. Refreshed by the poll threads
 * at least every few hundred milliseconds, so it may lag slightly.
 *
 * @param state lifecycle state; {@link State#DISCONNECTED} while running without a broker answering
 * @param assignedPartitions partitions currently assigned to this processor
 * @param pausedPartitions partitions currently paused (by the processor or by the user)
 * @param userPausedPartitions partitions paused through {@link Processor#pause}
 * @param inFlight records fetched and not yet finished
 * @param bufferedBytes serialized bytes of those records
 * @param committedOffsets last offsets this processor committed successfully, per partition
 * @param lastError the last error seen (commit failure, stopping record failure), if any; a commit
 *     failure is cleared once a later commit succeeds (for example when the brokers are back after
 *     an outage)
 * @param stalledRecords records that keep failing and are retried in place (see {@link
 *     StalledRecord}), oldest failure first
 * @param health {@link Health#DOWN} when the processor failed, cannot reach the cluster ({@link
 *     State#DISCONNECTED}), or a record has been stalled for longer than {@link
 *     ProcessorOptions#stallAlarmAfter()}
 * @param problems why health is DOWN, one sentence each, naming the cause and the fix; empty when UP
 */
public record ProcessorStatus(
    State state,
    Set<TopicPartition> assignedPartitions,
    Set<TopicPartition> pausedPartitions,
    Set<TopicPartition> userPausedPartitions,
    long inFlight,
    long bufferedBytes,
    Map<TopicPartition, Long> committedOffsets,
    Optional<Throwable> lastError,
    List<StalledRecord> stalledRecords,
    Health health,
    List<String> problems) {

  public ProcessorStatus {
    assignedPartitions = Set.copyOf(assignedPartitions);
    pausedPartitions = Set.copyOf(pausedPartitions);
    userPausedPartitions = Set.copyOf(userPausedPartitions);
    committedOffsets = Map.copyOf(committedOffsets);
    stalledRecords = List.copyOf(stalledRecords);
    java.util.Objects.requireNonNull(health, "health");
    problems = List.copyOf(problems);
  }

  /** Whether {@link #health()} is {@link Health#UP}. */
  public boolean healthy() {
    return health == Health.UP;
  }

  /** What a health check should report. */
  public enum Health {
    UP,
    DOWN
  }

  /** Lifecycle of a processor. */
  public enum State {
    NEW,
    RUNNING,
    CLOSING,
    CLOSED,
    /**
     * Running, but no broker has answered for {@link ProcessorOptions#connectionTimeout()}: the
     * bootstrap servers are wrong or unreachable, or the security protocol does not match the
     * listener. The processor keeps trying and returns to {@link #RUNNING} by itself once a broker
     * answers; {@link ProcessorStatus#problems()} names the servers.
     */
    DISCONNECTED,
    /** Stopped because a {@link FailureHandler} decided {@link FailureDecision#stop()}, or a fatal error. */
    FAILED
  }
}
