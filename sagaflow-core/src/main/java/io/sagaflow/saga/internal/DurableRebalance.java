package io.sagaflow.saga.internal;

import io.sagaflow.saga.SagaConsumer;
import java.util.Collection;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebalance callbacks of a durable saga consumer.
 *
 * <p>Assigned: each new partition's runs are restored from the journal ({@link JournalRestore});
 * when the journal cannot be read, a {@link DurableRecovery} retries the whole assignment with its
 * backoff (and while one is under way, its rebuild restores every assigned partition anyway).
 * Revoked: what is queued is committed first, so the next owner resumes the runs where they are,
 * then their runs are stopped without journaling anything. Lost: stopped at once (the generation
 * is gone, nothing may be committed). After a halt, a revocation does nothing: a halt stands for a
 * crash.
 *
 * <p>Threading. The loop thread, inside {@code poll} (and inside {@code close} for the last
 * revocation).
 */
final class DurableRebalance implements ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);

  private final String topic;
  private final String journalTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final DurableStatus status;
  private final ResidentRuns<?> runs;
  private final JournalRestore restore;
  private final JournalTransactions transactions;
  private final DurableRecovery recovery;
  private final BooleanSupplier halted;

  DurableRebalance(DurableParts parts, ResidentRuns<?> runs, JournalRestore restore,
      JournalTransactions transactions, DurableRecovery recovery, BooleanSupplier halted) {
    this.topic = parts.topic();
    this.journalTopic = parts.journalTopic();
    this.consumer = parts.consumer();
    this.status = parts.status();
    this.runs = runs;
    this.restore = restore;
    this.transactions = transactions;
    this.recovery = recovery;
    this.halted = halted;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (halted.getAsBoolean()) {
      return;
    }
    // While recovering nothing is resident (the runs were dropped), so nothing is to be committed.
    if (!recovery.active() && !transactions.commitNow()) {
      recovery.start();
    }
    runs.drop(ResidentRuns.numbers(partitions), true);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    runs.drop(ResidentRuns.numbers(partitions), true);
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (!recovery.active()) {
      try {
        for (TopicPartition tp : partitions) {
          restore.restore(tp);
        }
      } catch (RuntimeException e) {
        status.error(e);
        LOG.warn("the durable saga consumer of {} cannot read its journal {} yet: {}", topic, journalTopic,
            e.toString());
        recovery.start(); // retries the whole assignment, backing off
      }
    } // else the rebuild of the recovery restores every assigned partition
    status.assigned(consumer.assignment());
  }
}
