package io.sagaflow.saga;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.internal.Redaction;
import io.sagaflow.tracing.Tracing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
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
 * @param sagaTimeout how long a run may take before it is cancelled, or {@link #NO_TIMEOUT}
 * @param followTimeout how long opening a channel may wait for the reply consumer to position
 * @param contextFactory builds the user context of a run from its input record (null when the run
 *     did not come from Kafka); may return null
 * @param objectMapper (de)serializes payloads
 * @param transactionIds generates transaction ids for {@link SagaRuntime#start}
 * @param strictPayloads whether a payload field that the target type does not declare fails the
 *     conversion (the action is then dead-lettered by a saga consumer); false (the default) ignores
 *     such fields, as the npm package accepts any shape
 * @param topicAdministrator creates the topics of puts, takes and channels, and of this runtime's
 *     saga consumers, when they are missing; {@code null} (the default) when they must exist. The
 *     caller owns it and closes it after the runtime
 * @param metrics where the runtime's measurements go ({@link SagaMetrics#none()} by default)
 * @param tracing where the runtime's spans go ({@link Tracing#none()} by default)
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
    Supplier<String> transactionIds,
    boolean strictPayloads,
    TopicAdministrator topicAdministrator,
    SagaMetrics metrics,
    Tracing tracing) {

  /**
   * The saga timeout that never fires ({@link java.time.temporal.ChronoUnit#FOREVER}): see {@link
   * #withoutTimeout()}.
   */
  public static final Duration NO_TIMEOUT = ChronoUnit.FOREVER.getDuration();

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
    Objects.requireNonNull(sagaTimeout, "sagaTimeout");
    if (sagaTimeout.isZero() || sagaTimeout.isNegative()) {
      throw new IllegalArgumentException("sagaTimeout (" + sagaTimeout + ") must be positive; to switch the timeout"
          + " off use withoutTimeout() (SagaOptions.NO_TIMEOUT)");
    }
    requirePositive("followTimeout", followTimeout);
    Objects.requireNonNull(contextFactory, "contextFactory");
    Objects.requireNonNull(objectMapper, "objectMapper");
    Objects.requireNonNull(transactionIds, "transactionIds");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tracing, "tracing");
  }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " (" + d + ") must be positive");
    }
  }

  /**
   * Defaults: no Kafka properties, no middleware, channel capacity 1024, saga timeout 10 minutes,
   * follow timeout 30 seconds, no user context, a plain {@code ObjectMapper}, random UUIDs, unknown
   * payload fields ignored, no topic creation, no metrics, no tracing.
   */
  public static SagaOptions defaults() {
    return new SagaOptions(null, Map.of(), List.of(), ActionChannelBuffer.DEFAULT_CAPACITY, Duration.ofMinutes(10),
        Duration.ofSeconds(30), record -> null, new ObjectMapper(), () -> UUID.randomUUID().toString(), false, null, SagaMetrics.none(),
        Tracing.none());
  }

  /**
   * These options on this cluster: the put producer, the reply consumer, topic administration and
   * saga consumers all connect with it.
   */
  public SagaOptions withCluster(ClusterOptions cluster) {
    return new SagaOptions(Objects.requireNonNull(cluster, "cluster"), kafkaProperties, middleware, channelCapacity,
        sagaTimeout, followTimeout, contextFactory, objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
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
        + objectMapper + ", transactionIds=" + transactionIds + ", strictPayloads=" + strictPayloads
        + ", topicAdministrator=" + topicAdministrator + ", metrics=" + metrics + ", tracing=" + tracing + "]";
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
        objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /** These options with more middleware, appended (innermost). */
  public SagaOptions withMiddleware(SagaMiddleware... more) {
    List<SagaMiddleware> all = new ArrayList<>(middleware);
    all.addAll(List.of(more));
    return new SagaOptions(cluster, kafkaProperties, all, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /** These options with another default channel capacity. */
  public SagaOptions withChannelCapacity(int capacity) {
    return new SagaOptions(cluster, kafkaProperties, middleware, capacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /**
   * These options with another saga timeout: a run that takes longer is cancelled (interrupted,
   * pending effects cancelled) and fails with a {@link java.util.concurrent.TimeoutException}.
   *
   * @throws IllegalArgumentException for a zero or negative timeout: use {@link #withoutTimeout()}
   */
  public SagaOptions withSagaTimeout(Duration timeout) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, timeout, followTimeout, contextFactory,
        objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /**
   * These options with no saga timeout (the npm package's {@code consumptionTimeoutMs: -1}): a run
   * lasts until the saga returns, throws or the runtime closes. On a saga consumer the input record
   * then stays in flight, uncommitted, until its saga ends: it holds one of the consumer's {@link
   * SagaConsumerOptions#maxInFlight()} slots, later actions of its transaction (its key) wait behind
   * it, and the offsets of its partition are not committed past it. A saga that waits for a reply
   * that never comes holds all of that forever; keep a timeout unless sagas are known to end, or
   * bound the wait inside the saga (a {@code race} with a {@code delay}).
   */
  public SagaOptions withoutTimeout() {
    return withSagaTimeout(NO_TIMEOUT);
  }

  /** Whether runs are cancelled after {@link #sagaTimeout()}; false after {@link #withoutTimeout()}. */
  public boolean hasTimeout() {
    return !sagaTimeout.equals(NO_TIMEOUT);
  }

  /**
   * These options with strict payloads: a payload field that the target type does not declare
   * fails the conversion ({@link ActionDecodingException}), and a saga consumer dead-letters the
   * action. By default such fields are ignored, whatever the object mapper's own {@code
   * FAIL_ON_UNKNOWN_PROPERTIES} says.
   */
  public SagaOptions withStrictPayloads() {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout,
        contextFactory, objectMapper, transactionIds, true, topicAdministrator, metrics, tracing);
  }

  /**
   * These options with a topic administrator: puts, takes and channels on a missing topic create
   * it first, and so do this runtime's saga consumers for their input and dead-letter topics
   * (unless their own options name another administrator). The caller closes the administrator
   * after the runtime.
   *
   * <pre>{@code
   * TopicAdministrator topics = TopicAdministrator.create(cluster, TopicDefaults.of(6).withReplicationFactor(3));
   * SagaRuntime runtime = Sagas.runtime(options.withTopicAdministrator(topics));
   * }</pre>
   */
  public SagaOptions withTopicAdministrator(TopicAdministrator administrator) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout,
        contextFactory, objectMapper, transactionIds, strictPayloads,
        Objects.requireNonNull(administrator, "administrator"), metrics, tracing);
  }

  /** These options with another follow timeout. */
  public SagaOptions withFollowTimeout(Duration timeout) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, timeout, contextFactory,
        objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /** These options with a user context factory (the npm package's {@code getContext}). */
  public SagaOptions withContextFactory(Function<ConsumerRecord<byte[], byte[]>, Object> factory) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout, factory,
        objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /** These options with another object mapper. */
  public SagaOptions withObjectMapper(ObjectMapper mapper) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        mapper, transactionIds, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /** These options with another transaction id generator. */
  public SagaOptions withTransactionIds(Supplier<String> generator) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout, contextFactory,
        objectMapper, generator, strictPayloads, topicAdministrator, metrics, tracing);
  }

  /**
   * These options with metrics, for example {@code MicrometerSagaMetrics.of(registry)}: runs
   * started, completed, failed and dead-lettered, runs in flight, effect and put latency, reply
   * lag. The saga consumers' Processors and dead-letter writes are measured with their own options
   * ({@code MicrometerProcessorMetrics}, {@code MicrometerRecoveryListener}).
   */
  public SagaOptions withMetrics(SagaMetrics metrics) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout,
        contextFactory, objectMapper, transactionIds, strictPayloads, topicAdministrator,
        Objects.requireNonNull(metrics, "metrics"), tracing);
  }

  /**
   * These options with tracing, for example {@code SagaflowTelemetry.create(openTelemetry)} of the
   * {@code sagaflow-opentelemetry} module: a span per saga run with a child span per effect, a
   * producer span per put whose context the put carries in its {@code traceparent} header, and the
   * consumer spans of this runtime's saga consumers.
   */
  public SagaOptions withTracing(Tracing tracing) {
    return new SagaOptions(cluster, kafkaProperties, middleware, channelCapacity, sagaTimeout, followTimeout,
        contextFactory, objectMapper, transactionIds, strictPayloads, topicAdministrator, metrics,
        Objects.requireNonNull(tracing, "tracing"));
  }
}
