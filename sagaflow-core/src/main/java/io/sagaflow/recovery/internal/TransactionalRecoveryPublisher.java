package io.sagaflow.recovery.internal;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Exactly-once mode with the caller's own loop: sends through the caller's transactional producer,
 * inside the transaction the caller has open for the consumed batch, and waits for the broker's
 * acknowledgement (bounded by the publish timeout). The write becomes visible (to {@code
 * read_committed} readers) only if the caller commits that transaction, together with the offset
 * advance it adds with {@code sendOffsetsToTransaction}; if the commit fails the caller aborts and
 * rewinds, and the failed record is delivered and dead-lettered again.
 *
 * <p>Waiting for the ack makes a rejected write (a record over the topic's {@code
 * max.message.bytes}, a topic that is missing or not authorized) fail here, in {@code onFailure}:
 * health turns DOWN naming the cause, instead of a later commit failing with "Cannot execute
 * transactional method because we are in an error state". Such a rejection leaves the caller's
 * transaction unable to commit: abort it. (The processor's exactly-once mode does not use this
 * class: it writes copies in a transaction of their own first, so a rejection costs nothing else.)
 * The caller owns the producer: {@link #close()} leaves it open.
 */
public final class TransactionalRecoveryPublisher implements RecoveryPublisher {
  private final Producer<byte[], byte[]> producer;

  public TransactionalRecoveryPublisher(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  @Override
  public int partitionCount(String topic, Duration timeout) {
    return producer.partitionsFor(topic).size();
  }

  @Override
  public void publish(ProducerRecord<byte[], byte[]> record, Duration timeout) throws Exception {
    Future<?> sent = producer.send(record);
    try {
      sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  @Override
  public void close() {
    // The caller's producer: not ours to close.
  }
}
