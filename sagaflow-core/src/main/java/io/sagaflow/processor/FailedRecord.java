package io.sagaflow.processor;

import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record whose handler (or deserialization) failed.
 *
 * @param raw the record exactly as fetched from Kafka (original bytes)
 * @param error what the handler or deserializer threw
 * @param attempt 1 for the first failure, incremented on each {@link FailureDecision#retryAfter}
 * @param groupId the consumer group that fetched the record
 * @param record the processor's handle of the record, or {@code null} outside a processor; in
 *     exactly-once mode ({@link ProcessorRecord#transactional()}) a failure handler that writes the
 *     record elsewhere (retry or dead-letter topic) sends through it, so the copy commits or aborts
 *     with the offset (see {@link ProcessorRecord#send(org.apache.kafka.clients.producer.ProducerRecord)}
 *     for a copy the topic rejects)
 */
public record FailedRecord(
    ConsumerRecord<byte[], byte[]> raw, Throwable error, int attempt, String groupId, ProcessorRecord<?, ?> record) {

  /** A failed record outside a processor (no handle). */
  public FailedRecord(ConsumerRecord<byte[], byte[]> raw, Throwable error, int attempt, String groupId) {
    this(raw, error, attempt, groupId, null);
  }

  public FailedRecord {
    Objects.requireNonNull(raw, "raw");
    Objects.requireNonNull(error, "error");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt (" + attempt + ") must be at least 1");
    }
  }
}
