package io.sagaflow.processor.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits through the consumer (at-least-once strategies): asynchronously by the interval, and
 * synchronously when partitions are revoked and when the loop closes. Subclasses decide what a
 * turn does. A failed commit is the processor's last error until a commit succeeds again (after a
 * broker outage, the status then no longer reports the outage's commit failure).
 */
abstract class ConsumerCommitter implements Committer {
  private static final Logger LOG = LoggerFactory.getLogger(ConsumerCommitter.class);

  final Consumer<byte[], byte[]> consumer;
  final Assignment assignment;
  final long intervalNanos;
  long nextCommitNanos;
  private final LoopStatus status;
  private final Metrics metrics;
  private final ProcessorRuntime<?, ?> runtime;
  private final Ticker ticker;
  private final int maxChars;
  private final String name;
  /** The last commit failure, until a commit succeeds again (poll thread only). */
  private Throwable commitError;
  private int failedCommits;

  ConsumerCommitter(LoopParts<?, ?> parts) {
    this.consumer = parts.consumer();
    this.assignment = parts.assignment();
    this.status = parts.status();
    this.metrics = parts.metrics();
    this.runtime = parts.runtime();
    this.ticker = parts.ticker();
    this.intervalNanos = parts.runtime().options.commitInterval().toNanos();
    this.maxChars = parts.runtime().options.offsetMetadataMaxChars();
    this.name = parts.name();
  }

  @Override
  public void start(long now) {
    nextCommitNanos = now + intervalNanos;
  }

  @Override
  public void onRevoked(List<PartitionState> revoked) {
    commitSync(revoked);
  }

  @Override
  public void onLost(List<PartitionState> lost, Collection<TopicPartition> partitions) {}

  @Override
  public void whileDraining(long now) {
    if (now - nextCommitNanos >= 0) {
      commitAsync();
      nextCommitNanos = now + intervalNanos;
    }
  }

  @Override
  public void onClose() {
    commitSync(assignment.states());
  }

  /**
   * Commits what finished without waiting. A failed commit forgets what it tried, so the next one
   * sends it again.
   */
  final void commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = CommitOffsets.collect(assignment.states(), maxChars);
    if (offsets.isEmpty()) {
      return;
    }
    offsets.forEach((tp, om) -> assignment.get(tp).lastCommitted = om);
    long start = ticker.nanoTime();
    consumer.commitAsync(offsets, (committed, error) -> {
      if (error == null) {
        committed.forEach((tp, om) -> {
          if (assignment.contains(tp)) {
            status.committed(tp, om.offset());
          }
        });
        metrics.commitLatency(ticker.nanoTime() - start);
        succeeded();
      } else {
        LOG.warn("Async commit of {} failed; will retry: {}", name, error.toString());
        failed(error);
        offsets.forEach((tp, om) -> {
          PartitionState s = assignment.get(tp);
          if (s != null && om.equals(s.lastCommitted)) {
            s.lastCommitted = null;
          }
        });
      }
    });
  }

  /** Commits what finished of {@code ss} and waits for it; a failure is logged and recorded. */
  final void commitSync(Collection<PartitionState> ss) {
    Map<TopicPartition, OffsetAndMetadata> offsets = CommitOffsets.collect(ss, maxChars);
    if (offsets.isEmpty()) {
      return;
    }
    long start = ticker.nanoTime();
    try {
      consumer.commitSync(offsets, Duration.ofSeconds(30));
      metrics.commitLatency(ticker.nanoTime() - start);
      succeeded();
      for (PartitionState s : ss) {
        OffsetAndMetadata om = offsets.get(s.tp);
        if (om != null) {
          s.lastCommitted = om;
          status.committed(s.tp, om.offset());
        }
      }
    } catch (KafkaException e) {
      LOG.warn("Commit of {} failed: {}", name, e.toString());
      failed(e);
    }
  }

  private void failed(Throwable error) {
    commitError = error;
    failedCommits++;
    runtime.recordError(error);
  }

  /**
   * A commit succeeded: an earlier commit failure (typically while no broker answered) is over, so
   * the status no longer reports it as the last error.
   */
  private void succeeded() {
    if (commitError != null) {
      LOG.info("Commits of {} succeed again after {} failed: the last was {}", name, failedCommits,
          commitError.toString());
      runtime.resolvedError(commitError);
      commitError = null;
      failedCommits = 0;
    }
  }
}
