package io.sagaflow.saga.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The input offsets a durable saga consumer may commit: per assigned partition, the offsets of
 * records received whose run's start is not yet in a batch, and the next offset to consume. A
 * partition commits the lowest unwritten offset, or the next one when none is left, so a record's
 * offset is committed in the transaction that journals its start.
 *
 * <p>Not thread-safe: {@link JournalWriter} calls it under its lock. Calls for a partition that is
 * not assigned (revoked meanwhile) are ignored.
 */
final class InputOffsets {
  private static final class Partition {
    final TreeSet<Long> unwritten = new TreeSet<>();
    long next;

    Partition(long next) {
      this.next = next;
    }
  }

  private final String topic;
  private final Map<Integer, Partition> partitions = new HashMap<>();

  InputOffsets(String topic) {
    this.topic = topic;
  }

  /** {@code partition} is assigned; its next offset to consume is {@code position}. */
  void assigned(int partition, long position) {
    partitions.put(partition, new Partition(position));
  }

  /** The record at {@code offset} was received: it holds the partition's commit back until {@link #written}. */
  void received(int partition, long offset) {
    Partition p = partitions.get(partition);
    if (p != null) {
      p.unwritten.add(offset);
      p.next = Math.max(p.next, offset + 1);
    }
  }

  /** The consumer stands at {@code position} (it may pass the last record: a transaction marker). */
  void position(int partition, long position) {
    Partition p = partitions.get(partition);
    if (p != null) {
      p.next = Math.max(p.next, position);
    }
  }

  /** The record at {@code offset} holds nothing back any more (its start is in a batch, or it is settled). */
  void written(int partition, long offset) {
    Partition p = partitions.get(partition);
    if (p != null) {
      p.unwritten.remove(offset);
    }
  }

  /** Forgets {@code partition} (revoked, lost, or to be rebuilt). */
  void forget(int partition) {
    partitions.remove(partition);
  }

  /** What every assigned partition may commit now. */
  Map<TopicPartition, OffsetAndMetadata> committable() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    partitions.forEach((n, p) -> out.put(new TopicPartition(topic, n),
        new OffsetAndMetadata(p.unwritten.isEmpty() ? p.next : p.unwritten.first())));
    return out;
  }
}
