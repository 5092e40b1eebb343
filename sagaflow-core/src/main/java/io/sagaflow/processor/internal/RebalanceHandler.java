package io.sagaflow.processor.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebalance callbacks of one poll loop (they run on the poll thread, inside {@code poll}).
 *
 * <p>Assigned: each new partition gets a {@link PartitionState} restored from its committed
 * offset and metadata, so records finished out of order before the last commit are skipped.
 * Revoked: the partitions leave the assignment at once and are flagged (workers stop taking their
 * records, the publisher drops what it buffered of them); their running work gets up to {@code
 * rebalanceTimeout} (or what is left of a close's timeout) to finish; the {@link Committer}
 * commits what finished; then they are detached so late completions are ignored. Lost: the same
 * without the wait and the commit (the generation is gone).
 */
final class RebalanceHandler<K, V> implements ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(RebalanceHandler.class);

  private final PollLoop<K, V> loop;
  private final Consumer<byte[], byte[]> consumer;
  private final Assignment assignment;
  private final Committer committer;
  private final RecordPublisher<K, V> publisher;
  private final ProcessorRuntime<K, V> runtime;
  private final LoopStatus status;
  private final Ticker ticker;
  private final Duration rebalanceTimeout;
  private final String name;

  RebalanceHandler(PollLoop<K, V> loop, LoopParts<K, V> parts, Committer committer,
      RecordPublisher<K, V> publisher) {
    this.loop = loop;
    this.consumer = parts.consumer();
    this.assignment = parts.assignment();
    this.committer = committer;
    this.publisher = publisher;
    this.runtime = parts.runtime();
    this.status = parts.status();
    this.ticker = parts.ticker();
    this.rebalanceTimeout = parts.options().rebalanceTimeout();
    this.name = parts.name();
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> committed;
    try {
      committed = consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(30));
    } catch (KafkaException e) {
      LOG.warn("{}: could not read committed offsets of {}; records done out of order before the "
          + "last commit may be processed again: {}", name, partitions, e.toString());
      committed = Map.of();
    }
    Set<TopicPartition> paused = consumer.paused();
    for (TopicPartition tp : partitions) {
      if (assignment.contains(tp)) {
        continue;
      }
      PartitionState s = assignment.put(tp, committed.get(tp));
      s.paused = paused.contains(tp);
    }
    LOG.info("{}: assigned {}", name, partitions);
    loop.publishStatus();
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    revoke(partitions, true);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    revoke(partitions, false);
  }

  private void revoke(Collection<TopicPartition> partitions, boolean commit) {
    List<PartitionState> revoked = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      PartitionState s = assignment.remove(tp);
      if (s == null) {
        continue;
      }
      s.revoked = true;
      revoked.add(s);
      if (publisher != null) {
        long[] purged = publisher.purge(s);
        s.outstanding -= purged[0];
        s.outstandingBytes -= purged[1];
        runtime.inFlight.addAndGet(-purged[0]);
        runtime.bytes.addAndGet(-purged[1]);
      }
      for (Lane lane : s.lanes.values()) {
        lane.wake();
      }
    }
    if (revoked.isEmpty()) {
      return;
    }
    if (commit) {
      drain(revoked);
      committer.onRevoked(revoked);
    } else {
      committer.onLost(revoked, partitions);
    }
    for (PartitionState s : revoked) {
      assignment.detach(s);
      status.forget(s.tp);
    }
    LOG.info("{}: {} {}", name, commit ? "revoked" : "lost", partitions);
    loop.publishStatus();
  }

  /** Waits until the revoked partitions' work finished, within the rebalance (or close) timeout. */
  private void drain(List<PartitionState> revoked) {
    long deadline = ticker.nanoTime() + rebalanceTimeout.toNanos();
    deadline = loop.capByCloseDeadline(deadline);
    loop.applyCommands();
    while (Assignment.outstanding(revoked) > 0 && ticker.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(1_000_000L);
      loop.checkStall();
      loop.applyCommands();
    }
    long left = Assignment.outstanding(revoked);
    if (left > 0) {
      LOG.warn("{}: {} records of revoked partitions still running after {}; their results are "
          + "discarded and the new owner processes them again", name, left, rebalanceTimeout);
    }
  }
}
