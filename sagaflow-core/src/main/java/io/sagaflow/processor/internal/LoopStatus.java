package io.sagaflow.processor.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What {@link ProcessorRuntime#status()} reads of one poll loop: an immutable {@link Snapshot}
 * that the poll thread refreshes after a rebalance and every {@value #EVERY_NANOS} ns, so that
 * status calls from other threads never touch the consumer. Also keeps the committed offsets as
 * the committers confirm them, and reports consumer lag to the metrics when they are on.
 */
final class LoopStatus {
  static final long EVERY_NANOS = 200_000_000L;

  /** One poll loop's part of the processor's status. */
  record Snapshot(
      Set<TopicPartition> assigned,
      Set<TopicPartition> paused,
      Set<TopicPartition> userPaused,
      Map<TopicPartition, Long> committed) {
    static final Snapshot EMPTY = new Snapshot(Set.of(), Set.of(), Set.of(), Map.of());
  }

  private final Map<TopicPartition, Long> committed = new HashMap<>();
  private final Metrics metrics;
  private volatile Snapshot snapshot = Snapshot.EMPTY;
  private long nextNanos;

  LoopStatus(Metrics metrics) {
    this.metrics = metrics;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  /** Poll thread: a commit of {@code tp} up to {@code offset} was confirmed. */
  void committed(TopicPartition tp, long offset) {
    committed.put(tp, offset);
  }

  /** Poll thread: {@code tp} left the assignment. */
  void forget(TopicPartition tp) {
    committed.remove(tp);
    metrics.removePartition(tp);
  }

  /** Poll thread: publishes a snapshot if the last one is older than {@value #EVERY_NANOS} ns. */
  void publishIfDue(long now, Assignment assignment, Pauses pauses, Consumer<?, ?> consumer) {
    if (now - nextNanos >= 0) {
      publish(assignment, pauses, consumer);
      nextNanos = now + EVERY_NANOS;
    }
  }

  /** Poll thread: publishes a snapshot now. */
  void publish(Assignment assignment, Pauses pauses, Consumer<?, ?> consumer) {
    Set<TopicPartition> paused = new HashSet<>();
    for (PartitionState s : assignment.states()) {
      if (s.paused) {
        paused.add(s.tp);
      }
      if (metrics.enabled()) {
        consumer.currentLag(s.tp).ifPresent(lag -> metrics.lag(s.tp, lag));
      }
    }
    snapshot = new Snapshot(Set.copyOf(assignment.partitions()), Set.copyOf(paused),
        pauses.userPausedCopy(), Map.copyOf(committed));
  }

  /** The loop ended: nothing is assigned any more. */
  void clear() {
    snapshot = Snapshot.EMPTY;
  }
}
