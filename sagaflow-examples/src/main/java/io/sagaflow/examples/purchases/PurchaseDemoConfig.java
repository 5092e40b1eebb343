package io.sagaflow.examples.purchases;

import io.sagaflow.kafka.ClusterOptions;

import java.time.Duration;
import java.util.Map;

/**
 * Settings of the purchase demo. {@link #fromEnvironment(Map)} reads the environment variables
 * {@code KAFKA_BOOTSTRAP_SERVERS}, {@code KAFKA_PARTITIONS}, {@code KAFKA_CONSUMER_COUNT} and
 * {@code KAFKA_GROUP_ID}; command-line flags override them through the {@code withX} methods.
 *
 * @param cluster Kafka to use (bootstrap servers, security), or {@code null} to start an embedded broker
 * @param topic the topic purchases go to
 * @param partitions partitions of the topic when the demo creates it
 * @param consumers consumers in the group, each on its own thread
 * @param groupId the consumer group
 * @param count purchases to produce (ignored when {@code duration} ends production first)
 * @param rate purchases per second, or 0 for as fast as possible
 * @param duration how long to produce for, or {@code null} to produce {@code count} purchases
 * @param users distinct users (record keys)
 */
public record PurchaseDemoConfig(
    ClusterOptions cluster,
    String topic,
    int partitions,
    int consumers,
    String groupId,
    long count,
    int rate,
    Duration duration,
    int users) {

  /** Validates every value, naming the setting and what it must be. */
  public PurchaseDemoConfig {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("topic must not be empty");
    }
    positive("partitions (KAFKA_PARTITIONS, --partitions)", partitions);
    positive("consumers (KAFKA_CONSUMER_COUNT, --consumers)", consumers);
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("group id (KAFKA_GROUP_ID, --group-id) must not be empty");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count (" + count + ") must be at least 1");
    }
    if (rate < 0) {
      throw new IllegalArgumentException("rate (" + rate + ") must be 0 (unlimited) or positive");
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("duration (" + duration + ") must be positive");
    }
    positive("users", users);
  }

  private static void positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " (" + value + ") must be at least 1");
    }
  }

  /** The defaults: embedded broker, 6 partitions, 3 consumers, 1,000 purchases at 200/s. */
  public static PurchaseDemoConfig defaults() {
    return new PurchaseDemoConfig(null, "purchases", 6, 3, "purchase-consumers", 1000, 200, null, 50);
  }

  /**
   * The defaults, overridden by the environment variables that are set.
   *
   * @throws IllegalArgumentException naming the variable if one is not a valid value
   */
  public static PurchaseDemoConfig fromEnvironment(Map<String, String> env) {
    PurchaseDemoConfig c = defaults();
    String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
    if (bootstrap != null && !bootstrap.isBlank()) {
      c = c.withBootstrapServers(bootstrap.trim());
    }
    Integer partitions = intVar(env, "KAFKA_PARTITIONS");
    if (partitions != null) {
      c = c.withPartitions(partitions);
    }
    Integer consumers = intVar(env, "KAFKA_CONSUMER_COUNT");
    if (consumers != null) {
      c = c.withConsumers(consumers);
    }
    String group = env.get("KAFKA_GROUP_ID");
    if (group != null && !group.isBlank()) {
      c = c.withGroupId(group.trim());
    }
    return c;
  }

  private static Integer intVar(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + " (" + v + ") must be a whole number: fix or unset the environment variable");
    }
  }

  /** Kafka at these servers (security settings so far kept); blank means an embedded broker. */
  public PurchaseDemoConfig withBootstrapServers(String bootstrapServers) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      return withCluster(null);
    }
    return withCluster(cluster == null
        ? ClusterOptions.of("purchases", bootstrapServers) : cluster.withBootstrapServers(bootstrapServers));
  }

  /** The bootstrap servers of {@link #cluster()}, or {@code null} for an embedded broker. */
  public String bootstrapServers() {
    return cluster == null ? null : cluster.bootstrapServers();
  }

  /** Kafka to use, or {@code null} to start an embedded broker. */
  public PurchaseDemoConfig withCluster(ClusterOptions cluster) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  public PurchaseDemoConfig withTopic(String topic) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  public PurchaseDemoConfig withPartitions(int partitions) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  public PurchaseDemoConfig withConsumers(int consumers) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  public PurchaseDemoConfig withGroupId(String groupId) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  public PurchaseDemoConfig withCount(long count) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  public PurchaseDemoConfig withRate(int rate) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }

  /** Produces for at most this long; production ends at {@code count} or here, whichever is first. */
  public PurchaseDemoConfig withDuration(Duration duration) {
    return new PurchaseDemoConfig(cluster, topic, partitions, consumers, groupId, count, rate, duration, users);
  }
}
