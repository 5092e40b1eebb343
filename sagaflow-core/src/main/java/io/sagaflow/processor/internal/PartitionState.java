package io.sagaflow.processor.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One assignment of one partition to one poll loop. A new object per assignment acts as the epoch:
 * completions and acks name the object they belong to, and once it is detached (revoked, lost or
 * closed) they are ignored, so work that outlives its assignment can never commit.
 *
 * <p>Fields are owned by the poll thread except {@code revoked}, which workers read.
 */
final class PartitionState {
  final TopicPartition tp;
  final OffsetTracker tracker;
  /** Set by the poll thread when the partition is revoked or closing; workers stop taking records. */
  volatile boolean revoked;

  boolean detached;
  long outstanding;
  long outstandingBytes;
  boolean paused;
  boolean overCap;
  long notBeforeUntilNanos;
  /**
   * Records polled but not yet taken because a limit was reached, from {@code backlogFrom} on;
   * null when none. The partition stays paused while it has a backlog.
   */
  List<ConsumerRecord<byte[], byte[]>> backlog;
  int backlogFrom;
  OffsetAndMetadata lastCommitted;
  /** The first offset dispatched (exactly-once: where to rewind to while nothing is committed). */
  long firstFetched = -1;
  /** Lanes by key (KEY), one lane (PARTITION / batches) or transient lanes (UNORDERED). */
  final Map<Object, Lane> lanes = new HashMap<>();
  Lane partitionLane;
  /** Size of {@link #lanes} above which idle lanes are swept next. */
  int lanesSweepAt = 1024;

  PartitionState(TopicPartition tp, OffsetTracker tracker, OffsetAndMetadata committed) {
    this.tp = tp;
    this.tracker = tracker;
    this.lastCommitted = committed;
  }
}
