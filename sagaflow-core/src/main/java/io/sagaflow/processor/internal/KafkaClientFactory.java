package io.sagaflow.processor.internal;

import io.sagaflow.kafka.internal.KafkaClients;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Creates the processor's Kafka clients from complete property maps ({@link ClientProperties}
 * builds them through {@link KafkaClients}'s policy). The one seam between the processor and client creation: unit tests hand in a
 * {@code MockConsumer}/{@code MockProducer}, and a central client factory can be plugged in here.
 */
interface KafkaClientFactory {
  /** Real clients, built by the one client factory, {@link KafkaClients}. */
  KafkaClientFactory DIRECT = new KafkaClientFactory() {
    @Override
    public Consumer<byte[], byte[]> consumer(Map<String, Object> properties) {
      return KafkaClients.newConsumer(properties);
    }

    @Override
    public Producer<byte[], byte[]> producer(Map<String, Object> properties) {
      return KafkaClients.newProducer(properties);
    }
  };

  Consumer<byte[], byte[]> consumer(Map<String, Object> properties);

  Producer<byte[], byte[]> producer(Map<String, Object> properties);
}
