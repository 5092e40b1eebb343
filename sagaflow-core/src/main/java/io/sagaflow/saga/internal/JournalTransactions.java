package io.sagaflow.saga.internal;

import io.sagaflow.saga.SagaConsumer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop thread's side of a durable saga consumer's journal transactions: what goes into the
 * next one, when, and what its outcome means.
 *
 * <p>Design. The {@link JournalWriter} queues journal values, puts, tombstones, dead letters and
 * the input offsets that may be committed; the {@link JournalCommitter} writes one batch at a time
 * on its own thread, with the consumer's group metadata, so a zombie's transaction is fenced. Here:
 * {@link #submit} drains the writer into the next batch (after telling it where the consumer
 * stands, past a transaction marker if the input has one) unless it holds neither records nor
 * offsets beyond the last committed ones; {@link #take} takes an outcome in submission order;
 * {@link #commitNow} writes everything queued and waits, before a revocation. A failed transaction
 * is reported to the caller, which starts a {@link DurableRecovery}: every run is then dropped and
 * rebuilt from what the journal committed, so nothing of the failed batch is kept.
 *
 * <p>Threading. Loop thread only (including the revocation callback inside {@code poll}); the
 * committer's thread never calls back.
 */
final class JournalTransactions {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final JournalWriter writer;
  private final JournalCommitter committer;
  private final DurableObservers observers;
  private final DurableStatus status;
  /** The input offsets of the last committed transaction: a batch of only these is not written. */
  private final Map<TopicPartition, OffsetAndMetadata> lastCommitted = new HashMap<>();

  JournalTransactions(DurableParts parts) {
    this.topic = parts.topic();
    this.consumer = parts.consumer();
    this.writer = parts.writer();
    this.committer = parts.committer();
    this.observers = parts.observers();
    this.status = parts.status();
  }

  /** Whether a transaction is in flight. */
  boolean busy() {
    return committer.busy();
  }

  /** The outcome of the transaction in flight if it has ended, else null. */
  JournalCommitter.Outcome completed() {
    return committer.completed();
  }

  /** Hands everything queued to the committer for one transaction; false when there is nothing to write. */
  boolean submit() {
    positions();
    JournalWriter.Batch batch = writer.drain(System.nanoTime());
    if (batch.records().isEmpty() && !hasNewOffsets(batch.offsets())) {
      return false;
    }
    committer.submit(batch, consumer.groupMetadata());
    return true;
  }

  /**
   * Writes everything queued, after the transaction in flight, and waits (before a revocation).
   * Returns false when a transaction failed: the caller must rebuild the runs from the journal.
   */
  boolean commitNow() {
    JournalCommitter.Outcome outcome = committer.await();
    if (outcome != null && !take(outcome)) {
      return false; // to be rebuilt from the journal: nothing of the old runs is to be written
    }
    positions();
    JournalWriter.Batch batch = writer.drain(System.nanoTime());
    if (!batch.records().isEmpty() || hasNewOffsets(batch.offsets())) {
      return take(committer.commitNow(batch, consumer.groupMetadata()));
    }
    return true;
  }

  /**
   * Takes a transaction's outcome. Returns whether it committed; when it did not, the caller must
   * rebuild every partition from the journal with a new producer.
   */
  boolean take(JournalCommitter.Outcome outcome) {
    observers.transaction(outcome);
    if (outcome.error() == null) {
      lastCommitted.putAll(outcome.batch().offsets());
      status.committed();
      return true;
    }
    KafkaException e = outcome.error();
    status.commitFailed(e);
    LOG.warn("a saga journal transaction of {} failed; rebuilding its sagas from the journal: {}", topic,
        e.toString());
    return false;
  }

  /** Forgets the last committed offsets (a rebuild starts from what the group has committed). */
  void forgetCommitted() {
    lastCommitted.clear();
  }

  /** Tells the writer where the consumer stands (past a transaction marker, if the input has one). */
  private void positions() {
    for (TopicPartition tp : consumer.assignment()) {
      try {
        writer.position(tp.partition(), consumer.position(tp, Duration.ZERO));
      } catch (KafkaException e) {
        // not known yet (just assigned): the received offsets decide
      }
    }
  }

  private boolean hasNewOffsets(Map<TopicPartition, OffsetAndMetadata> offsets) {
    return offsets.entrySet().stream().anyMatch(e -> !e.getValue().equals(lastCommitted.get(e.getKey())));
  }
}
