package io.sagaflow.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A topic to create: name, partitions, replication factor and topic configs. {@code -1} partitions
 * or replication factor means the broker's default ({@code num.partitions}, {@code
 * default.replication.factor}).
 *
 * <pre>{@code
 * TopicSpec.of("PIZZA_CREATE", 6).withReplicationFactor(3).withConfig("retention.ms", "86400000")
 * }</pre>
 *
 * @param name the topic name
 * @param partitions the number of partitions, positive, or -1 for the broker's default
 * @param replicationFactor the replication factor, positive, or -1 for the broker's default
 * @param configs topic configs ({@code retention.ms}, {@code cleanup.policy}, ...), never null
 */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {

  /** Validates the spec. */
  public TopicSpec {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
    if (partitions <= 0 && partitions != -1) {
      throw new IllegalArgumentException("partitions (" + partitions + ") of topic " + name
          + " must be positive, or -1 for the broker default");
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

  /** This spec with another partition count. */
  public TopicSpec withPartitions(int count) {
    return new TopicSpec(name, count, replicationFactor, configs);
  }

  /** This spec with another replication factor. */
  public TopicSpec withReplicationFactor(int factor) {
    if (factor > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replicationFactor (" + factor + ") of topic " + name + " is too large");
    }
    return new TopicSpec(name, partitions, (short) factor, configs);
  }

  /** This spec with one more config. */
  public TopicSpec withConfig(String key, String value) {
    Map<String, String> more = new HashMap<>(configs);
    more.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new TopicSpec(name, partitions, replicationFactor, more);
  }
}
