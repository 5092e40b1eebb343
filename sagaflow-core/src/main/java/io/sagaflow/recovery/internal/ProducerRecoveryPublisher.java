package io.sagaflow.recovery.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;

/**
 * Plain mode: an idempotent {@code acks=all} producer; {@link #publish} blocks until acked (after
 * {@code linger.ms}; no flush, which would wait for every thread's sends, and which, called from
 * eight threads at once in one test run, left a batch unsent until it expired), {@link
 * #publishAsync} completes when acked (or fails after {@code timeout}).
 */
public final class ProducerRecoveryPublisher implements RecoveryPublisher {
  private final Producer<byte[], byte[]> producer;

  public ProducerRecoveryPublisher(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  @Override
  public int partitionCount(String topic, Duration timeout) {
    List<PartitionInfo> partitions = producer.partitionsFor(topic);
    if (partitions == null || partitions.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " has no partitions");
    }
    return partitions.size();
  }

  @Override
  public void publish(ProducerRecord<byte[], byte[]> record, Duration timeout) throws Exception {
    producer.send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletionStage<?> publishAsync(ProducerRecord<byte[], byte[]> record, Duration timeout) {
    CompletableFuture<Object> acked = new CompletableFuture<>();
    try {
      producer.send(record, (metadata, error) -> {
        if (error == null) {
          acked.complete(metadata);
        } else {
          acked.completeExceptionally(error);
        }
      });
    } catch (RuntimeException e) {
      acked.completeExceptionally(e); // rejected at once: no metadata within max.block.ms, too large
    }
    return acked.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
