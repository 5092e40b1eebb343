package io.sagaflow.recovery;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * One record of a dead-letter topic, with its recovery headers decoded.
 *
 * @param topic the dead-letter topic
 * @param partition its partition
 * @param offset its offset there
 * @param timestamp when it was dead-lettered (record timestamp)
 * @param key the original key bytes (may be {@code null})
 * @param value the original value bytes (may be {@code null})
 * @param headers every header: the original ones and the recovery ones
 * @param info the recovery headers, decoded
 */
public record DeadLetter(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
    Headers headers, DeadLetterHeaders info) {

  /** Wraps a record read from a dead-letter topic. */
  public static DeadLetter of(ConsumerRecord<byte[], byte[]> record) {
    return new DeadLetter(record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(),
        record.value(), record.headers(), DeadLetterHeaders.read(record.headers()));
  }

  /** The key as UTF-8 text, or {@code null}. */
  public String keyAsString() {
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }

  /** {@code topic/partition/offset}, the value of the {@code sagaflow-replayed-from} header of its replayed copy. */
  public String coordinates() {
    return topic + "/" + partition + "/" + offset;
  }
}
