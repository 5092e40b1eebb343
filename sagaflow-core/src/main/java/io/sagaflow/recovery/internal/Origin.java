package io.sagaflow.recovery.internal;

import static io.sagaflow.recovery.RecoveryHeaders.*;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * Where a failing record was first delivered. A record read from a retry topic carries its origin
 * in {@code sagaflow-origin-*} headers (written by the first tier and kept across tiers); any other
 * record is its own origin.
 */
record Origin(String topic, int partition, long offset, long timestamp, String timestampType, int tier,
    int previousAttempts) {

  static Origin of(ConsumerRecord<byte[], byte[]> record) {
    Headers h = record.headers();
    Integer tier = HeaderCodec.lastInt(h, RETRY_TIER);
    String topic = HeaderCodec.lastString(h, ORIGIN_TOPIC);
    if (tier == null || tier < 1 || topic == null) {
      return new Origin(record.topic(), record.partition(), record.offset(), record.timestamp(),
          record.timestampType().toString(), 0, 0);
    }
    Integer partition = HeaderCodec.lastInt(h, ORIGIN_PARTITION);
    Long offset = HeaderCodec.lastLong(h, ORIGIN_OFFSET);
    Long timestamp = HeaderCodec.lastLong(h, ORIGIN_TIMESTAMP);
    String type = HeaderCodec.lastString(h, ORIGIN_TIMESTAMP_TYPE);
    Integer attempts = HeaderCodec.lastInt(h, ATTEMPTS);
    return new Origin(topic,
        partition == null ? record.partition() : partition,
        offset == null ? -1L : offset,
        timestamp == null ? record.timestamp() : timestamp,
        type == null ? record.timestampType().toString() : type,
        tier,
        attempts == null ? 0 : attempts);
  }
}
