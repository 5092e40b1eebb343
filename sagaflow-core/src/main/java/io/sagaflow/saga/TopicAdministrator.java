package io.sagaflow.saga;

import io.sagaflow.kafka.ClusterOptions;

import io.sagaflow.saga.internal.KafkaTopicAdministrator;
import java.util.Collection;
import java.util.Map;

/**
 * Creates the topics sagas use. Replace it to create topics your own way (infrastructure as code,
 * a platform API); the default works on Kafka's {@code Admin} client.
 */
public interface TopicAdministrator extends AutoCloseable {

  /**
   * Creates the topics that do not exist yet; existing topics are left as they are (not altered).
   * Returns when the topics exist.
   *
   * @throws IllegalStateException when a topic cannot be created
   */
  void ensureTopics(Collection<TopicSpec> topics);

  /** Releases resources; the default does nothing. */
  @Override
  default void close() {}

  /**
   * The default administrator on a Kafka {@code Admin} client built from raw properties; {@code
   * bootstrap.servers} is required and becomes a cluster named {@value ClusterOptions#DEFAULT_NAME}.
   */
  static TopicAdministrator kafka(Map<String, Object> adminProperties) {
    Object bootstrap = adminProperties.get("bootstrap.servers");
    if (bootstrap == null) {
      throw new IllegalArgumentException("admin properties need bootstrap.servers, or use kafka(ClusterOptions)");
    }
    Map<String, String> rest = new java.util.HashMap<>();
    adminProperties.forEach((k, v) -> {
      if (!k.equals("bootstrap.servers")) {
        rest.put(k, String.valueOf(v));
      }
    });
    return kafka(ClusterOptions.of(bootstrap.toString()).withClientProperties(rest));
  }

  /** The default administrator on a Kafka {@code Admin} client of this cluster. */
  static TopicAdministrator kafka(ClusterOptions cluster) {
    return new KafkaTopicAdministrator(cluster);
  }
}
