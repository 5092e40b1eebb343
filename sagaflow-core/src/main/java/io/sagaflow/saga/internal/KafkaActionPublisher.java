package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.internal.KafkaClients;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.tracing.Tracing;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Puts on an idempotent producer: {@code acks=all}, {@code enable.idempotence=true} and a small
 * linger (2 ms) by default, so concurrent sagas batch without the fixed one-second flush of the
 * npm package. Each publish completes when its record is acknowledged. With a topic administrator,
 * the first put on a topic creates it when it is missing (the administrator remembers topics it
 * saw, so later puts do not ask the broker).
 */
public final class KafkaActionPublisher implements ActionPublisher {
  private final Producer<byte[], byte[]> producer;
  private final ActionCodec codec;
  private final TopicAdministrator topics;
  private final Tracing tracing;

  /**
   * A publisher.
   *
   * @param cluster where to connect
   * @param properties raw client properties of the runtime; the producer's keys override the
   *     defaults above; serializers are always byte arrays
   * @param codec the wire codec
   * @param topics creates missing topics, or {@code null}
   */
  public KafkaActionPublisher(ClusterOptions cluster, Map<String, Object> properties, ActionCodec codec,
      TopicAdministrator topics) {
    this(cluster, properties, codec, topics, Tracing.none());
  }

  /**
   * A publisher whose puts are traced: each gets a producer span, and its record carries that
   * span's context in {@code traceparent} (replacing the one copied from the triggering record).
   */
  public KafkaActionPublisher(ClusterOptions cluster, Map<String, Object> properties, ActionCodec codec,
      TopicAdministrator topics, Tracing tracing) {
    this.tracing = java.util.Objects.requireNonNull(tracing, "tracing");
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    config.putAll(KafkaClients.known(properties, ProducerConfig.configNames()));
    config.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
    config.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
    // A user's client.id names both runtime clients; each gets its role so their metrics do not clash.
    Object clientId = properties.get(ProducerConfig.CLIENT_ID_CONFIG);
    if (clientId != null) {
      config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-puts");
    }
    this.producer = KafkaClients.producer(cluster, "saga-puts", config);
    this.codec = codec;
    this.topics = topics;
  }

  @Override
  public CompletableFuture<Void> publish(Action<?> action) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      if (topics != null) {
        topics.ensureTopics(action.topic());
      }
      ProducerRecord<byte[], byte[]> record = codec.toRecord(action);
      Tracing.Span span = tracing.send("put", record);
      producer.send(record, (metadata, error) -> {
        span.end(error);
        if (error != null) {
          acked.completeExceptionally(error);
        } else {
          acked.complete(null);
        }
      });
    } catch (RuntimeException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(30));
  }
}
