package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPublisher;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Puts on an idempotent producer: {@code acks=all}, {@code enable.idempotence=true} and a small
 * linger (2 ms) by default, so concurrent sagas batch without the fixed one-second flush of the
 * npm package. Each publish completes when its record is acknowledged.
 */
public final class KafkaActionPublisher implements ActionPublisher {
  private final Producer<byte[], byte[]> producer;
  private final ActionCodec codec;

  /**
   * A publisher.
   *
   * @param properties raw producer properties ({@code bootstrap.servers} at least); they override
   *     the defaults above; serializers are always byte arrays
   * @param codec the wire codec
   */
  public KafkaActionPublisher(Map<String, Object> properties, ActionCodec codec) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    config.putAll(properties);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, ClientIds.derive(properties.get(ProducerConfig.CLIENT_ID_CONFIG), "puts"));
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.producer = new KafkaProducer<>(config);
    this.codec = codec;
  }

  @Override
  public CompletableFuture<Void> publish(Action<?> action) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      producer.send(codec.toRecord(action), (metadata, error) -> {
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
