package io.sagaflow.routing;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;

/**
 * Everything a routed handler knows about the record it handles, and a way to send.
 *
 * @param event the envelope's event name
 * @param key the record key as text (UTF-8), or {@code null}
 * @param headers the record headers
 * @param producedAt the record timestamp
 * @param receivedAt when this process received the record
 * @param topic the topic
 * @param partition the partition
 * @param offset the offset
 * @param attempt 1 for the first try, more for retries
 * @param consumer who consumed it
 * @param metadata user metadata from the supplier registered with the router, called per record
 * @param sender sends further records: in the same transaction in exactly-once mode, else an
 *     idempotent send
 */
public record EventContext(
    String event,
    String key,
    Headers headers,
    Instant producedAt,
    Instant receivedAt,
    String topic,
    int partition,
    long offset,
    int attempt,
    ConsumerInfo consumer,
    Map<String, Object> metadata,
    Sender sender) {

  /**
   * The consumer that received the record.
   *
   * @param clientId the Kafka client id
   * @param groupId the consumer group
   * @param generation the group generation, or -1 if unknown
   * @param memberId the member id in the group
   * @param assignedPartitions the partitions assigned to this consumer at the time
   */
  public record ConsumerInfo(
      String clientId, String groupId, int generation, String memberId, Set<TopicPartition> assignedPartitions) {}

  /** Sends a record on behalf of a handler. */
  @FunctionalInterface
  public interface Sender {
    CompletableFuture<RecordMetadata> send(String topic, byte[] key, byte[] value, Headers headers);
  }

  /** Sends {@code value} to {@code topic} with {@code key}; joins the transaction in exactly-once mode. */
  public CompletableFuture<RecordMetadata> send(String topic, byte[] key, byte[] value) {
    return sender.send(topic, key, value, null);
  }

  /** Like {@link #send(String, byte[], byte[])}, with headers. */
  public CompletableFuture<RecordMetadata> send(String topic, byte[] key, byte[] value, Headers headers) {
    return sender.send(topic, key, value, headers);
  }
}
