package io.sagaflow.bench;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.MessageListener;

/**
 * Spring Kafka's {@link ConcurrentMessageListenerContainer} with concurrency = partition count, record
 * listener, default ack mode (BATCH) and default synchronous commits.
 */
final class SpringSystem implements BenchSystem {
  private ConcurrentMessageListenerContainer<String, byte[]> container;

  @Override
  public boolean observesCommits() {
    return true;
  }

  @Override
  public void start(BenchContext context) {
    Map<String, Object> props = new HashMap<>();
    context.consumerProperties().forEach((k, v) -> props.put((String) k, v));
    DefaultKafkaConsumerFactory<String, byte[]> factory =
        new DefaultKafkaConsumerFactory<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    ContainerProperties containerProperties = new ContainerProperties(context.topic());
    containerProperties.setGroupId(context.groupId());
    containerProperties.setMessageListener((MessageListener<String, byte[]>) context::handle);
    container = new ConcurrentMessageListenerContainer<>(factory, containerProperties);
    container.setConcurrency(context.partitions());
    container.start();
  }

  @Override
  public void stop() {
    if (container != null) {
      container.stop();
    }
  }
}
