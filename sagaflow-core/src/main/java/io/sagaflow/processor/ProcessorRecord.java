package io.sagaflow.processor;

import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.TimestampType;

/**
 * A record handed to a handler or subscriber, with its context and its handle ({@link #ack()}).
 *
 * <p>{@link #key()} and {@link #value()} are deserialized by the processor with the user's
 * deserializers; {@link #raw()} gives the bytes as they were in Kafka.
 */
public interface ProcessorRecord<K, V> {
  String topic();

  int partition();

  long offset();

  K key();

  V value();

  Headers headers();

  /** The record's Kafka timestamp (producer or log-append time, see {@link #timestampType()}). */
  long timestamp();

  TimestampType timestampType();

  /** When this processor received the record from Kafka. */
  Instant receivedAt();

  /** The consumer's group metadata at the time the record was fetched (group, generation, member). */
  ConsumerGroupMetadata groupMetadata();

  /** The record exactly as fetched (byte[] key and value). */
  ConsumerRecord<byte[], byte[]> raw();

  /**
   * Marks the record finished. Only meaningful with {@link CommitStrategy#MANUAL} (and for the
   * {@link Processor#publisher()} view); ignored otherwise. Idempotent, callable from any thread.
   * An ack after the partition was revoked is ignored (the new owner redelivers the record).
   */
  void ack();

}
