package io.sagaflow.saga;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.internal.Redaction;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Settings of a {@link SagaRuntime}. The {@link ClusterOptions} say how to reach Kafka (bootstrap
 * servers, security); raw Kafka properties pass straight to the producer and the reply consumer;
 * only Sagaflow's own settings are typed. A {@code bootstrap.servers} raw property is a shortcut:
 * it becomes the bootstrap servers of the cluster.
 *
 * <pre>{@code
 * SagaOptions options = SagaOptions.defaults()
 *     .withCluster(ClusterOptions.of("main", "localhost:9092"))
 *     .withMiddleware(loggingMiddleware)
 *     .withSagaTimeout(Duration.ofMinutes(2));
 * }</pre>
 *
 * @param cluster the Kafka cluster, or {@code null} for a runtime on a transport of your own
 * @param kafkaProperties raw client properties shared by the producer and the reply consumer
 * @param middleware interceptors, outermost first
 * @param channelCapacity the buffer capacity of channels opened without an explicit buffer
 * @param sagaTimeout how long a run may take before it is cancelled
 * @param followTimeout how long opening a channel may wait for the reply consumer to position
 * @param contextFactory builds the user context of a run from its input record (null when the run
 *     did not come from Kafka); may return null
 * @param objectMapper (de)serializes payloads
 * @param transactionIds generates transaction ids for {@link SagaRuntime#start}
 */
public record SagaOptions(
    ClusterOptions cluster,
    Map<String, Object> kafkaProperties,
    List<SagaMiddleware> middleware,
    int channelCapacity,
    Duration sagaTimeout,
    Duration followTimeout,
    Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory,
    ObjectMapper objectMapper,
    Supplier<String> transactionIds) {

  /** Validates the options. */
  public SagaOptions {
    Objects.requireNonNull(kafkaProperties, "kafkaProperties");
    Object bootstrap = kafkaProperties.get("bootstrap.servers");
    if (bootstrap != null) {
      // The bootstrap shortcut of the raw properties moves to the cluster, the one place clients connect from.
      cluster = cluster == null ? ClusterOptions.of(bootstrap.toString()) : cluster.withBootstrapServers(bootstrap.toString());
      Map<String, Object> rest = new HashMap<>(kafkaProperties);
      rest.remove("bootstrap.servers");
      kafkaProperties = rest;
    }
    kafkaProperties = Map.copyOf(kafkaProperties);
    middleware = List.copyOf(Objects.requireNonNull(middleware, "middleware"));
    if (channelCapacity <= 0) {
      throw new IllegalArgumentException("channelCapacity (" + channelCapacity + ") must be positive");
    }
    requirePositive("sagaTimeout", sagaTimeout);
    requirePositive("followTimeout", followTimeout);
    Objects.requireNonNull(contextFactory, "contextFactory");
    Objects.requireNonNull(objectMapper, "objectMapper");
    Objects.requireNonNull(transactionIds, "transactionIds");
  }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " (" + d + ") must be positive");
    }
  }

  /**
   * Defaults: no Kafka properties, no middleware, channel capacity 1024, saga timeout 10 minutes,
   * follow timeout 30 seconds, no user context, a plain {@code ObjectMapper}, random UUIDs.
   */
  public static SagaOptions defaults() {
    return new SagaOptions(null, Map.of(), List.of(), ActionChannelBuffer.DEFAULT_CAPACITY, Duration.ofMinutes(10),
        Duration.ofSeconds(30), record -> null, new ObjectMapper(), () -> UUID.randomUUID().toString());
  }

  /**
   * These options on this cluster: the put producer, the reply consumer, topic administration and
   * saga consumers all connect with it.
   */
  public SagaOptions withCluster(ClusterOptions cluster) {
    return new SagaOptions(Objects.requireNonNull(cluster, "cluster"), kafkaProperties, middleware, channelCapacity,
        sagaTimeout, followTimeout, contextFactory, objectMapper, transactionIds);
  }

  /** {@link #withCluster(ClusterOptions)} with the options of this cluster handle. */
  public SagaOptions withCluster(KafkaCluster cluster) {
    return withCluster(Objects.requireNonNull(cluster, "cluster").options());
  }

  /**
   * These options with these bootstrap servers: on the cluster set so far (security kept), else on
   * a plaintext cluster named {@value ClusterOptions#DEFAULT_NAME}.
   */
  public SagaOptions withBootstrapServers(String bootstrapServers) {
    return withCluster(cluster == null ? ClusterOptions.of(bootstrapServers) : cluster.withBootstrapServers(bootstrapServers));
  }

  /** Every setting, with passwords and other secrets of the raw properties redacted. */
  @Override
  public String toString() {
    return "SagaOptions[cluster=" + cluster + ", kafkaProperties=" + Redaction.redact(kafkaProperties)
        + ", middleware=" + middleware + ", channelCapacity=" + channelCapacity + ", sagaTimeout=" + sagaTimeout
        + ", followTimeout=" + followTimeout + ", contextFactory=" + contextFactory + ", objectMapper="
        + objectMapper + ", transactionIds=" + transactionIds + "]";
  }

  /** These options with one more raw Kafka property ({@code bootstrap.servers} sets the cluster's). */
  public SagaOptions withKafkaProperty(String key, Object value) {
    Map<String, Object> more = new HashMap<>(kafkaProperties);
    more.put(key, value);
    return withKafkaProperties(more);
  }

  /** These options with these raw Kafka properties (replacing the previous ones). */
  public SagaOptions withKafkaProperties(Map<String, Object> properties) {
    return new SagaOptions(cluster, properties, middleware, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, transactionIds);
  }

  /** These options with more middleware, appended (innermost). */
  public SagaOptions withMiddleware(SagaMiddleware... more) {
    List<SagaMiddleware> all = new ArrayList<>(middleware);
    all.addAll(List.of(more));
    return new SagaOptions(cluster, kafkaProperties, all, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, transactionIds);
  }

  /** These options with another default channel capacity. */
  public SagaOptions withChannelCapacity(int capacity) {
    return new SagaOptions(cluster, kafkaProperties, middleware, capacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, transactionIds);
  }

  /** These options with another saga timeout. */
  public SagaOptions withSagaTimeout(Duration timeout) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, timeout, followTimeout, contextFactory,
        objectMapper, transactionIds);
  }

  /** These options with another follow timeout. */
  public SagaOptions withFollowTimeout(Duration timeout) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, timeout, contextFactory,
        objectMapper, transactionIds);
  }

  /** These options with a user context factory (the npm package's {@code getContext}). */
  public SagaOptions withContextFactory(Function<ConsumerRecord<byte[], byte[]>, Object> factory) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout, factory,
        objectMapper, transactionIds);
  }

  /** These options with another object mapper. */
  public SagaOptions withObjectMapper(ObjectMapper mapper) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        mapper, transactionIds);
  }

  /** These options with another transaction id generator. */
  public SagaOptions withTransactionIds(Supplier<String> generator) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, generator);
  }
}
