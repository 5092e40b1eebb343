package io.sagaflow.recovery.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Where the recovery path writes retry-topic and dead-letter records.
 *
 * <p>Design note (exactly-once fit). The failure handler never talks to a producer directly; it
 * hands a finished {@link ProducerRecord} to this interface and treats a normal return as "this
 * record is as durable as the offset advance that follows". {@link ProducerRecoveryPublisher} (the
 * plain mode) gives that by blocking until the broker acks ({@code acks=all}, idempotent), or,
 * inside a processor, by {@link #publishAsync}: the processor finishes the record (and may commit
 * its offset) only when that stage completes. A
 * transactional implementation for exactly-once mode sends through the caller's transactional
 * producer inside the transaction that is already open for the consumed batch and returns without
 * waiting ({@link TransactionalRecoveryPublisher}, built by {@code Recovery.transactionalHandler}):
 * the write then commits or aborts together with {@code sendOffsetsToTransaction}, so the
 * offset can never pass a record whose dead letter was lost, nor commit a dead letter whose offset
 * was not advanced. Errors are thrown in both modes; the processor then keeps the record unfinished.
 */
public interface RecoveryPublisher extends AutoCloseable {

  /** Partition count of {@code topic}; throws if the topic does not exist or cannot be described. */
  int partitionCount(String topic, Duration timeout) throws Exception;

  /** Writes {@code record}; returns once it is durable (plain) or part of the open transaction (EOS). */
  void publish(ProducerRecord<byte[], byte[]> record, Duration timeout) throws Exception;

  /**
   * Writes {@code record} without waiting: the stage completes once it is durable, or
   * exceptionally. Writes of many failed records then overlap and share producer batches. By
   * default {@link #publish} wrapped in a completed stage.
   */
  default CompletionStage<?> publishAsync(ProducerRecord<byte[], byte[]> record, Duration timeout) {
    try {
      publish(record, timeout);
      return CompletableFuture.completedFuture(null);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  void close();
}
