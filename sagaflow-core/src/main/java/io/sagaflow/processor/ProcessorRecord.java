package io.sagaflow.processor;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
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

  /**
   * The {@code client.id} of the consumer that fetched the record: the one given with {@link
   * ProcessorOptions#withKafkaProperty} (suffixed with {@code -<n>} when there are several
   * consumers), else the one Kafka generated.
   */
  String clientId();

  /** The partitions assigned to the consumer that fetched the record, at the time it was fetched. */
  Set<TopicPartition> assignment();

  /**
   * Which attempt of this record the handler is running: 1 the first time, {@code n + 1} after
   * {@code n} failures each decided {@link FailureDecision#retryAfter}. Counts the attempts of this
   * delivery in this processor; a record redelivered (after a restart or a rebalance) or read back
   * from a retry topic starts again at 1 (the recovery pipeline keeps the total in its {@code
   * sagaflow-attempts} header).
   */
  int attempt();

  /** The record exactly as fetched (byte[] key and value). */
  ConsumerRecord<byte[], byte[]> raw();

  /**
   * Marks the record finished. Only meaningful with {@link CommitStrategy#MANUAL} (and for the
   * {@link Processor#publisher()} view); ignored otherwise. Idempotent, callable from any thread.
   * An ack after the partition was revoked is ignored (the new owner redelivers the record).
   */
  void ack();

  /**
   * Sends a record as part of handling this one.
   *
   * <p>In {@linkplain ProcessorOptions#withExactlyOnce exactly-once} mode the send joins the
   * transaction that also commits this record's offset: it is held until the handler returns
   * successfully and then handed to the transactional producer, so the outputs of a failed attempt
   * are discarded and only the attempt that finishes the record is published. The future completes
   * when Kafka acknowledges the write (it becomes visible to {@code read_committed} readers when
   * the transaction commits). Sends a {@link FailureHandler} makes for a record it then finishes
   * ({@link FailureDecision#done()}: a retry-topic or dead-letter copy) are written apart, in a
   * transaction holding nothing else, before the record is finished in it: a topic that rejects
   * them holds back this record only. Their future completes once they are in that transaction, or
   * exceptionally with what the topic rejected and how to fix it; the record then stays unfinished
   * and the failure handler is called again after a backoff (100 ms doubling, at most 5 s).
   *
   * <p>Otherwise the record goes at once to the processor's shared idempotent producer ({@code
   * acks=all}), and this record is finished (its offset committable) only after every send it made
   * was acknowledged; a failed send fails the record like a handler exception would.
   *
   * <p>Call it from the handler, before it returns. Keys and values are serialized by {@link
   * #send(String, Object, Object)}; this variant takes bytes as they are.
   */
  CompletableFuture<RecordMetadata> send(ProducerRecord<byte[], byte[]> record);

  /** True in exactly-once mode: {@link #send} joins the transaction that commits this record. */
  default boolean transactional() {
    return false;
  }

  /**
   * {@link #send(ProducerRecord)} with a key and value serialized as: {@code byte[]} as is, {@link
   * String} as UTF-8, {@code null} as null, anything else as JSON (Jackson).
   */
  default CompletableFuture<RecordMetadata> send(String topic, Object key, Object value) {
    return send(topic, key, value, null);
  }

  /** {@link #send(String, Object, Object)} with headers ({@code null} for none). */
  default CompletableFuture<RecordMetadata> send(String topic, Object key, Object value, Headers headers) {
    return send(new ProducerRecord<>(topic, null, null, OutputBytes.of(key), OutputBytes.of(value), headers));
  }
}
