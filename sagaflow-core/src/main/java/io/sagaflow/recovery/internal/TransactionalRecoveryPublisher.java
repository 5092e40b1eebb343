package io.sagaflow.recovery.internal;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Exactly-once mode: sends through the caller's transactional producer, inside the transaction the
 * caller has open for the consumed batch, without waiting for the ack. The write becomes visible
 * (to {@code read_committed} readers) only if the caller commits that transaction, together with
 * the offset advance it adds with {@code sendOffsetsToTransaction}; if the commit fails the caller
 * aborts and rewinds, and the failed record is delivered and dead-lettered again. The caller owns
 * the producer: {@link #close()} leaves it open.
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
    if (sent.isDone()) {
      try {
        sent.get(); // a send rejected at once (no transaction open, record too large): fail now
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    }
  }

  @Override
  public void close() {
    // The caller's producer: not ours to close.
  }
}
