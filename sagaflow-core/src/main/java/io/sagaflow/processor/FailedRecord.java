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
 */
public record FailedRecord(
    ConsumerRecord<byte[], byte[]> raw, Throwable error, int attempt, String groupId) {
  public FailedRecord {
    Objects.requireNonNull(raw, "raw");
    Objects.requireNonNull(error, "error");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt (" + attempt + ") must be at least 1");
    }
  }
}
