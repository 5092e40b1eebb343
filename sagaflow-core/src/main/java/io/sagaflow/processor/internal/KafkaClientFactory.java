package io.sagaflow.processor.internal;

import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Creates the processor's Kafka clients from complete property maps ({@link ClientProperties}
 * builds them). The one seam between the processor and client creation: unit tests hand in a
 * {@code MockConsumer}/{@code MockProducer}, and a central client factory can be plugged in here.
 */
interface KafkaClientFactory {
  /** Plain {@link KafkaConsumer}s and {@link KafkaProducer}s of bytes. */
  KafkaClientFactory DIRECT = new KafkaClientFactory() {
    @Override
    public Consumer<byte[], byte[]> consumer(Map<String, Object> properties) {
      return new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Producer<byte[], byte[]> producer(Map<String, Object> properties) {
      return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }
  };

  Consumer<byte[], byte[]> consumer(Map<String, Object> properties);

  Producer<byte[], byte[]> producer(Map<String, Object> properties);
}
