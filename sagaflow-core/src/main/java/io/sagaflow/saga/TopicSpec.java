package io.sagaflow.saga;

import java.util.Map;
import java.util.Objects;

/**
 * A topic to create.
 *
 * <pre>{@code
 * TopicSpec.of("PIZZA_CREATE", 6).withReplicationFactor((short) 3).withConfig("retention.ms", "86400000")
 * }</pre>
 *
 * @param name the topic name
 * @param partitions the number of partitions, positive
 * @param replicationFactor the replication factor, positive, or -1 for the broker's default
 * @param configs topic configs, never null
 */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {

  /** Validates the spec. */
  public TopicSpec {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions (" + partitions + ") of topic " + name + " must be positive");
    }
    if (replicationFactor <= 0 && replicationFactor != -1) {
      throw new IllegalArgumentException("replicationFactor (" + replicationFactor + ") of topic " + name
          + " must be positive, or -1 for the broker default");
    }
    configs = Map.copyOf(Objects.requireNonNull(configs, "configs"));
  }

  /** A topic with {@code partitions} partitions and the broker's default replication. */
  public static TopicSpec of(String name, int partitions) {
    return new TopicSpec(name, partitions, (short) -1, Map.of());
  }

  /** This spec with another replication factor. */
  public TopicSpec withReplicationFactor(short factor) {
    return new TopicSpec(name, partitions, factor, configs);
  }

  /** This spec with one more config. */
  public TopicSpec withConfig(String key, String value) {
    Map<String, String> more = new java.util.HashMap<>(configs);
    more.put(key, value);
    return new TopicSpec(name, partitions, replicationFactor, more);
  }
}
