package io.sagaflow.kafka.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.sagaflow.kafka.ClusterOptions;

/**
 * The one place that builds Kafka clients. Every consumer, producer and admin client of Sagaflow
 * (processor, recovery, dead-letter replay and scans, saga runtime, {@code KafkaCluster}, CLI) is
 * built here from a {@link ClusterOptions} plus the caller's overrides, with one policy:
 *
 * <ul>
 *   <li><b>Connection and security</b> come from the cluster only: {@code bootstrap.servers} in
 *       the overrides is rejected. A cluster-wide key that only another client type knows (such as
 *       {@code linger.ms} for a consumer) is left out, so that Kafka does not warn about it; keys
 *       that no client type knows (plugin settings) reach every client.
 *   <li><b>Client ids</b> are unique in the JVM, because Kafka registers each client's metrics and
 *       JMX beans under its id and two clients with one id clash: the caller's {@code client.id}
 *       override wins, else {@code <cluster client.id>-<role>-<n>} when the cluster sets one, else
 *       {@code sagaflow-<cluster>-<role>-<n>}. Metrics of a client are found by that id.
 *   <li><b>Producers</b> are idempotent with {@code acks=all}; overriding either is rejected.
 *   <li>Keys and values are bytes; serialization happens above the client.
 * </ul>
 *
 * <p>The caller's overrides win over the cluster's settings (they are the more specific ones).
 */
public final class KafkaClients {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final Set<String> CONSUMER = ConsumerConfig.configNames();
  private static final Set<String> PRODUCER = ProducerConfig.configNames();
  private static final Set<String> ADMIN = AdminClientConfig.configNames();

  private KafkaClients() {}

  /** Properties of a consumer of {@code cluster}; {@code role} names it in its client id. */
  public static Map<String, Object> consumerProperties(ClusterOptions cluster, String role, Map<String, ?> overrides) {
    return properties(cluster, role, overrides, CONSUMER);
  }

  /** Properties of an idempotent {@code acks=all} producer of {@code cluster}. */
  public static Map<String, Object> producerProperties(ClusterOptions cluster, String role, Map<String, ?> overrides) {
    for (String fixed : new String[] {ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG}) {
      Object v = overrides.get(fixed);
      if (v != null && !v.toString().equalsIgnoreCase(fixed.equals("acks") ? "all" : "true")
          && !(fixed.equals("acks") && v.toString().equals("-1"))) {
        throw new IllegalArgumentException(fixed + "=" + v + " cannot be used: Sagaflow producers are always"
            + " idempotent with acks=all, so that a retried send never duplicates or loses a record");
      }
    }
    Map<String, Object> p = properties(cluster, role, overrides, PRODUCER);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return p;
  }

  /** Properties of an admin client of {@code cluster}. */
  public static Map<String, Object> adminProperties(ClusterOptions cluster, String role, Map<String, ?> overrides) {
    return properties(cluster, role, overrides, ADMIN);
  }

  /** A consumer of bytes; see the class comment for the policy. */
  public static KafkaConsumer<byte[], byte[]> consumer(ClusterOptions cluster, String role, Map<String, ?> overrides) {
    return newConsumer(consumerProperties(cluster, role, overrides));
  }

  /** An idempotent {@code acks=all} producer of bytes. */
  public static KafkaProducer<byte[], byte[]> producer(ClusterOptions cluster, String role, Map<String, ?> overrides) {
    return newProducer(producerProperties(cluster, role, overrides));
  }

  /**
   * A consumer of bytes from properties already built by {@link #consumerProperties} (for callers,
   * such as the processor, that add settings of their own in between).
   */
  public static KafkaConsumer<byte[], byte[]> newConsumer(Map<String, Object> properties) {
    return new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** A producer of bytes from properties already built by {@link #producerProperties}. */
  public static KafkaProducer<byte[], byte[]> newProducer(Map<String, Object> properties) {
    return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * A transactional producer of bytes; its client id is its transactional id unless the overrides
   * set one. The caller runs {@code initTransactions()}.
   */
  public static KafkaProducer<byte[], byte[]> transactionalProducer(
      ClusterOptions cluster, String transactionalId, Map<String, ?> overrides) {
    Map<String, Object> o = new HashMap<>(overrides);
    o.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    o.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, transactionalId);
    return newProducer(producerProperties(cluster, "tx", o));
  }

  /** An admin client. */
  public static Admin admin(ClusterOptions cluster, String role, Map<String, ?> overrides) {
    return Admin.create(adminProperties(cluster, role, overrides));
  }

  /** Only the entries of {@code properties} that this kind of client knows ({@code consumer}, ...). */
  public static Map<String, Object> known(Map<String, ?> properties, Set<String> configNames) {
    Map<String, Object> out = new HashMap<>();
    properties.forEach((k, v) -> {
      if (configNames.contains(k) || !(CONSUMER.contains(k) || PRODUCER.contains(k) || ADMIN.contains(k))) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** Kafka's admin client config names (for {@link #known}). */
  public static Set<String> adminKeys() {
    return ADMIN;
  }

  private static Map<String, Object> properties(
      ClusterOptions cluster, String role, Map<String, ?> overrides, Set<String> names) {
    if (overrides.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("bootstrap.servers comes from the ClusterOptions of cluster "
          + cluster.name() + ": set it there, not as a client property");
    }
    Map<String, Object> p = known(cluster.clientProperties(), names);
    p.putAll(overrides);
    if (!overrides.containsKey("client.id")) {
      Object base = cluster.clientOverrides().get("client.id");
      p.put("client.id", base != null
          ? base + "-" + role + "-" + SEQUENCE.incrementAndGet()
          : "sagaflow-" + cluster.name() + "-" + role + "-" + SEQUENCE.incrementAndGet());
    }
    return p;
  }
}
