package io.sagaflow.saga.internal;

import io.sagaflow.saga.SagaConsumer;
import java.time.Duration;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery of a durable saga consumer after a failed journal transaction (fenced, aborted, the
 * cluster away) or a restore that could not read the journal.
 *
 * <p>Design. The runs in memory may hold effects the journal never committed, so none is kept:
 * every assigned partition's runs are dropped, the input is paused, the committer opens a new
 * producer, and {@link JournalRestore#rebuild} seeks the input back to the committed offsets and
 * restores the runs from the committed journal. While that fails too (the cluster is away), the
 * input stays paused and the rebuild is tried again, backing off from 1 s, doubling, up to {@link
 * #MAX_BACKOFF}; records polled meanwhile are not run (the rebuild seeks back to them). A try
 * blocks the loop thread while it lasts: the new producer's {@code max.block.ms}, the committed
 * offsets' 15 s, the journal read's own timeouts.
 *
 * <p>Threading. Loop thread only: {@link #start} from the outcome of a transaction or from the
 * assignment callback, {@link #retryIfDue} once per turn.
 */
final class DurableRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final String topic;
  private final String journalTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final JournalCommitter committer;
  private final DurableStatus status;
  private final ResidentRuns<?> runs;
  private final JournalRestore restore;
  private final JournalTransactions transactions;
  /** Whether the runs are dropped and wait to be rebuilt from the journal. */
  private boolean recovering;
  private Duration backoff = Duration.ZERO;
  private long nextTry;

  DurableRecovery(DurableParts parts, ResidentRuns<?> runs, JournalRestore restore,
      JournalTransactions transactions) {
    this.topic = parts.topic();
    this.journalTopic = parts.journalTopic();
    this.consumer = parts.consumer();
    this.committer = parts.committer();
    this.status = parts.status();
    this.runs = runs;
    this.restore = restore;
    this.transactions = transactions;
  }

  /** Whether the runs are dropped and wait for a rebuild: the input is not run meanwhile. */
  boolean active() {
    return recovering;
  }

  /** Drops every run and rebuilds them now; when that fails, {@link #retryIfDue} tries again. */
  void start() {
    recovering = true;
    backoff = Duration.ZERO;
    nextTry = System.nanoTime();
    retryIfDue();
  }

  /** Tries the rebuild again if recovering and its backoff has passed. */
  void retryIfDue() {
    if (!recovering || System.nanoTime() - nextTry < 0) {
      return;
    }
    Set<TopicPartition> parts = consumer.assignment();
    runs.drop(ResidentRuns.numbers(parts), true);
    consumer.pause(parts);
    transactions.forgetCommitted();
    try {
      committer.open();
      restore.rebuild();
      recovering = false;
      consumer.resume(consumer.paused());
      LOG.info("the durable saga consumer of {} rebuilt its sagas from {}", topic, journalTopic);
    } catch (RuntimeException e) {
      status.commitFailed(e);
      Duration doubled = backoff.isZero() ? Duration.ofSeconds(1) : backoff.multipliedBy(2);
      backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
      nextTry = System.nanoTime() + backoff.toNanos();
      LOG.warn("the durable saga consumer of {} cannot rebuild its sagas from {} yet (next try in {} s): {}", topic,
          journalTopic, backoff.toSeconds(), e.toString());
    }
  }
}
