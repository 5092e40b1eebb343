package io.sagaflow.processor.internal;

import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * How a poll loop commits what finished: one implementation per commit strategy ({@link
 * PeriodicCommitter}, {@link BatchCommitter}, {@link NoCommitter}, {@link TransactionalCommitter}),
 * chosen once when the loop opens, so the loop never asks which strategy it runs. Poll thread only.
 *
 * <p>The calls follow the loop's life: {@link #start} once, {@link #onTurn} every turn, {@link
 * #onRevoked}/{@link #onLost} in rebalances, {@link #whileDraining} while a close drains, {@link
 * #onClose} last. What may be committed of a partition is decided by {@link CommitOffsets}.
 */
interface Committer {
  /** The loop starts at {@code now}; the first periodic commit is an interval later. */
  void start(long now);

  /** Every turn, after completions were applied: commits if this strategy's time has come. */
  void onTurn(long now);

  /**
   * How long the poll thread may park, at most {@code waitNanos}, without delaying a due commit.
   */
  long capPark(long now, long waitNanos);

  /**
   * Rebalance: the work of the revoked partitions (already out of the assignment) drained or
   * timed out; commits what finished of them. The loop detaches them afterwards.
   */
  void onRevoked(List<PartitionState> revoked);

  /** Rebalance: {@code lost} (already out of the assignment) can no longer commit. */
  void onLost(List<PartitionState> lost, Collection<TopicPartition> partitions);

  /** Close: called each pass while in-flight work drains; commits by the interval. */
  void whileDraining(long now);

  /** Close, after the drain: the last commit of what finished; releases what the committer owns. */
  void onClose();

  /**
   * A poll returned {@code records}, about to be dispatched; returns whether to dispatch them. Only
   * at-most-once commits here (before any handler runs).
   */
  default boolean beforeDispatch(ConsumerRecords<byte[], byte[]> records) {
    return true;
  }

  /** The loop failed: releases what the committer owns, committing nothing. */
  default void abandon() {}
}
