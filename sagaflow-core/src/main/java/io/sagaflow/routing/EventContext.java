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
 * <pre>{@code
 * .on("OrderCreated", OrderCreated.class, (order, ctx) -> {
 *   log.info("order {} from {}-{}@{}, attempt {}", order.id(), ctx.topic(), ctx.partition(), ctx.offset(),
 *       ctx.attempt());
 *   ctx.send("invoices", order.id(), new InvoiceRequested(order.id(), order.total()));
 * })
 * }</pre>
 *
 * <p>The processor builds it (see {@link EventRouter#asRecordHandler()}); the public constructor is
 * there so that handlers can be unit-tested with a context of their own.
 *
 * @param event the envelope's event name
 * @param key the record key as text (UTF-8), or {@code null}
 * @param headers the record headers
 * @param producedAt the record timestamp (producer or log-append time), or {@code null} if the
 *     record has none
 * @param receivedAt when this process received the record
 * @param topic the topic
 * @param partition the partition
 * @param offset the offset
 * @param attempt 1 for the first try, {@code n + 1} after {@code n} in-place retries (see {@link
 *     io.sagaflow.processor.ProcessorRecord#attempt()})
 * @param consumer who consumed it
 * @param metadata user metadata from the supplier registered with {@link
 *     EventRouter.Builder#metadata}, called per record; empty without one
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
   * @param assignedPartitions the partitions assigned to this consumer when the record was fetched
   */
  public record ConsumerInfo(
      String clientId, String groupId, int generation, String memberId, Set<TopicPartition> assignedPartitions) {}

  /**
   * Sends a record on behalf of a handler; on a processor, {@link
   * io.sagaflow.processor.ProcessorRecord#send(String, Object, Object, Headers)}.
   */
  @FunctionalInterface
  public interface Sender {
    /** Sends {@code value} to {@code topic} with {@code key} and {@code headers} ({@code null} for none). */
    CompletableFuture<RecordMetadata> send(String topic, Object key, Object value, Headers headers);
  }

  /**
   * Sends {@code value} to {@code topic} with {@code key}, as part of handling this record.
   *
   * <p>In exactly-once mode the send joins the transaction that commits this record's offset: it
   * is published only if the handler returns normally, and becomes visible to {@code
   * read_committed} readers when the transaction commits. Otherwise it goes at once to an
   * idempotent producer, and the record counts as finished only once every send it made was
   * acknowledged. Call it before the handler returns.
   *
   * <p>Keys and values are written as: {@code byte[]} as is, {@link String} as UTF-8, {@code null}
   * as null, anything else as JSON. To emit an event for another router, send an envelope such as
   * {@code Map.of("event", "InvoiceRequested", "data", invoice)}.
   *
   * @return completes when Kafka acknowledges the write
   */
  public CompletableFuture<RecordMetadata> send(String topic, Object key, Object value) {
    return sender.send(topic, key, value, null);
  }

  /** Like {@link #send(String, Object, Object)}, with headers ({@code null} for none). */
  public CompletableFuture<RecordMetadata> send(String topic, Object key, Object value, Headers headers) {
    return sender.send(topic, key, value, headers);
  }
}
