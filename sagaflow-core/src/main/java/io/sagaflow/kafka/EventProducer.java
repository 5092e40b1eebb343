package io.sagaflow.kafka;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * An idempotent producer ({@code acks=all}) that many threads share. It sends bytes; {@link
 * #typed(Serializer, Serializer)} gives typed views over the same connections.
 *
 * <pre>{@code
 * EventProducer producer = cluster.producer();
 * producer.typed(new StringSerializer(), new StringSerializer())
 *     .send("orders", "order-17", "{\"total\": 12}")
 *     .join(); // acknowledged by all in-sync replicas
 * }</pre>
 */
public final class EventProducer implements AutoCloseable {
  private final String clusterName;
  private final KafkaProducer<byte[], byte[]> producer;

  EventProducer(String clusterName, KafkaProducer<byte[], byte[]> producer) {
    this.clusterName = clusterName;
    this.producer = producer;
  }

  /** Sends a record; the future completes when the broker acknowledged it, or fails with why not. */
  public CompletableFuture<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    try {
      producer.send(record, (metadata, error) -> {
        if (error == null) {
          result.complete(metadata);
        } else {
          result.completeExceptionally(error);
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
    return result;
  }

  /** Sends {@code value} with {@code key} (may be null) to {@code topic}. */
  public CompletableFuture<RecordMetadata> send(String topic, byte[] key, byte[] value) {
    return send(new ProducerRecord<>(topic, key, value));
  }

  /** Sends {@code value} with {@code key} and {@code headers} to {@code topic}. */
  public CompletableFuture<RecordMetadata> send(String topic, byte[] key, byte[] value, Headers headers) {
    return send(new ProducerRecord<>(topic, null, key, value, headers));
  }

  /** A typed view that serializes keys and values, then sends through this producer. */
  public <K, V> TypedProducer<K, V> typed(Serializer<K> keySerializer, Serializer<V> valueSerializer) {
    return new TypedProducer<>(this, keySerializer, valueSerializer);
  }

  /** Blocks until every send made so far is acknowledged or failed. */
  public void flush() {
    producer.flush();
  }

  /** Flushes every in-flight send, then closes, waiting at most {@code timeout}. */
  public void close(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    producer.close(timeout);
  }

  /** Flushes and closes, waiting up to 30 seconds. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  @Override
  public String toString() {
    return "EventProducer[cluster=" + clusterName + "]";
  }

  /**
   * A typed view of an {@link EventProducer}.
   *
   * @param <K> key type
   * @param <V> value type
   */
  public static final class TypedProducer<K, V> {
    private final EventProducer producer;
    private final Serializer<K> keySerializer;
    private final Serializer<V> valueSerializer;

    TypedProducer(EventProducer producer, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
      this.producer = producer;
      this.keySerializer = Objects.requireNonNull(keySerializer, "keySerializer");
      this.valueSerializer = Objects.requireNonNull(valueSerializer, "valueSerializer");
    }

    public CompletableFuture<RecordMetadata> send(String topic, K key, V value) {
      return send(topic, key, value, null);
    }

    public CompletableFuture<RecordMetadata> send(String topic, K key, V value, Headers headers) {
      byte[] k;
      byte[] v;
      try {
        k = key == null ? null : keySerializer.serialize(topic, headers, key);
        v = value == null ? null : valueSerializer.serialize(topic, headers, value);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      return producer.send(new ProducerRecord<>(topic, null, k, v, headers));
    }
  }
}
