package io.sagaflow.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link TopicAdministrator} gives the topics it creates: partitions, replication factor and
 * configs for every topic, and whole {@link TopicSpec}s for the topics named one by one (the shape
 * of the npm package's {@code TopicAdministrator} settings, plus per-topic overrides).
 *
 * <pre>{@code
 * TopicDefaults topics = TopicDefaults.of(6)
 *     .withReplicationFactor(3)
 *     .withConfig("retention.ms", "604800000")
 *     .withTopic(TopicSpec.of("PIZZA_CREATE", 12));   // this one differs
 * }</pre>
 *
 * @param partitions partitions of a created topic, positive, or -1 for the broker's default
 * @param replicationFactor replication factor of a created topic, positive, or -1 for the broker's
 *     default
 * @param configs topic configs of a created topic
 * @param topics per-topic specs by name; they win over the defaults above
 */
public record TopicDefaults(int partitions, short replicationFactor, Map<String, String> configs,
    Map<String, TopicSpec> topics) {

  /** Validates the defaults and copies the maps. */
  public TopicDefaults {
    configs = Map.copyOf(Objects.requireNonNull(configs, "configs"));
    topics = Map.copyOf(Objects.requireNonNull(topics, "topics"));
    topics.forEach((name, spec) -> {
      if (!name.equals(spec.name())) {
        throw new IllegalArgumentException("the spec for topic " + name + " names another topic (" + spec.name()
            + "); use withTopic(spec)");
      }
    });
    if (partitions <= 0 && partitions != -1) {
      throw new IllegalArgumentException("default partitions (" + partitions
          + ") must be positive, or -1 for the broker default");
    }
    if (replicationFactor <= 0 && replicationFactor != -1) {
      throw new IllegalArgumentException("default replicationFactor (" + replicationFactor
          + ") must be positive, or -1 for the broker default");
    }
  }

  /** The broker's defaults for everything, no per-topic specs. */
  public static TopicDefaults brokerDefaults() {
    return new TopicDefaults(-1, (short) -1, Map.of(), Map.of());
  }

  /** {@code partitions} partitions, the broker's default replication, no configs. */
  public static TopicDefaults of(int partitions) {
    return brokerDefaults().withPartitions(partitions);
  }

  /** These defaults with another partition count. */
  public TopicDefaults withPartitions(int count) {
    return new TopicDefaults(count, replicationFactor, configs, topics);
  }

  /** These defaults with another replication factor. */
  public TopicDefaults withReplicationFactor(int factor) {
    if (factor > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replicationFactor (" + factor + ") is too large");
    }
    return new TopicDefaults(partitions, (short) factor, configs, topics);
  }

  /** These defaults with one more topic config. */
  public TopicDefaults withConfig(String key, String value) {
    Map<String, String> more = new HashMap<>(configs);
    more.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new TopicDefaults(partitions, replicationFactor, more, topics);
  }

  /** These defaults with a spec of its own for {@code spec.name()} (replacing an earlier one). */
  public TopicDefaults withTopic(TopicSpec spec) {
    Map<String, TopicSpec> more = new HashMap<>(topics);
    more.put(spec.name(), spec);
    return new TopicDefaults(partitions, replicationFactor, configs, more);
  }

  /** The spec of {@code topic}: its own when one was given, else these defaults. */
  public TopicSpec specFor(String topic) {
    TopicSpec own = topics.get(topic);
    return own != null ? own : new TopicSpec(topic, partitions, replicationFactor, configs);
  }

  /**
   * The spec of a topic that accompanies {@code source} (its retry or dead-letter topic): its own
   * when one was given, else these defaults with the partition count of the source, so that a
   * record can keep its partition number.
   */
  public TopicSpec companionSpec(String topic, int sourcePartitions) {
    TopicSpec own = topics.get(topic);
    return own != null ? own : new TopicSpec(topic, sourcePartitions, replicationFactor, configs);
  }
}
