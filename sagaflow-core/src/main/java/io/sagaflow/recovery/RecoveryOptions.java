package io.sagaflow.recovery;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.internal.Redaction;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Settings of a {@link RecoveryHandler}. Start from {@link #of(String, String)}.
 *
 * <pre>{@code
 * RecoveryOptions options = RecoveryOptions.of("localhost:9092", "orders-service")
 *     .withPolicy(RetryPolicy.defaults().withInPlaceAttempts(5))
 *     .withProducerProperty("linger.ms", 20);
 * }</pre>
 *
 * @param cluster the Kafka cluster of the retry and dead-letter topics (bootstrap servers, security)
 * @param groupId consumer group of the failing processor, written to {@code
 *     kafka_dlt-original-consumer-group} (a {@code FailedRecord}'s own group id wins when set)
 * @param policy retry tiers and topic names
 * @param producerProperties raw producer properties, applied over the cluster's settings and our defaults ({@code acks=all},
 *     idempotence on, byte-array serializers, {@code max.block.ms} = {@code publishTimeout}, {@code
 *     linger.ms} 100 and {@code batch.size} 64 KiB, since inside a processor nobody waits for a copy's ack,
 *     and no compression unless the cluster's settings name a codec (like the processor's producer:
 *     a second codec in the JVM slows every producer's sends); {@code compression.type=lz4} shrinks
 *     the copies about 25-fold, since their headers repeat from record to record. In an
 *     exactly-once processor the copies go through the processor's producer and its settings)
 * @param createTopics create missing retry and dead-letter topics through the Kafka Admin API with
 *     the source topic's partition count; when false, they must exist (or be auto-created)
 * @param publishTimeout how long one publish (metadata, topic creation, ack) may take before it
 *     counts as failed
 * @param maxStackTraceBytes cap of the {@code kafka_dlt-exception-stacktrace} header, in bytes (at
 *     least 256; default {@value #DEFAULT_MAX_STACK_TRACE_BYTES}). A longer trace keeps every
 *     exception line ({@code "Caused by: "} included) with fewer frames each (8, then 2, then 1),
 *     and only then is cut; a shortened trace ends with the line {@code "\t... [cut to fit
 *     RecoveryOptions.maxStackTraceBytes]"}. Spring Kafka writes the whole trace: raise this to
 *     keep more of it
 * @param clock source of due times and failure times
 * @param random source of backoff jitter, or {@code null} for {@link
 *     java.util.concurrent.ThreadLocalRandom}; a given generator is used under a lock
 * @param listener metrics and log hooks
 * @param tracing spans of retry and dead-letter writes ({@link io.sagaflow.tracing.Tracing#none()}
 *     by default)
 */
public record RecoveryOptions(
    ClusterOptions cluster,
    String groupId,
    RetryPolicy policy,
    Map<String, Object> producerProperties,
    boolean createTopics,
    Duration publishTimeout,
    int maxStackTraceBytes,
    Clock clock,
    RandomGenerator random,
    RecoveryListener listener,
    io.sagaflow.tracing.Tracing tracing) {

  /**
   * The default {@link #maxStackTraceBytes()}: the exception line and a handful of frames of each
   * exception in a cause chain of three or four.
   */
  public static final int DEFAULT_MAX_STACK_TRACE_BYTES = 2048;

  /** Validates every value and copies the property map. */
  public RecoveryOptions {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(policy, "policy");
    producerProperties = Map.copyOf(new TreeMap<>(Objects.requireNonNull(producerProperties, "producerProperties")));
    Objects.requireNonNull(publishTimeout, "publishTimeout");
    if (publishTimeout.isNegative() || publishTimeout.isZero()) {
      throw new IllegalArgumentException("publishTimeout (" + publishTimeout + ") must be positive");
    }
    if (maxStackTraceBytes < 256) {
      throw new IllegalArgumentException("maxStackTraceBytes (" + maxStackTraceBytes + ") must be at least 256");
    }
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(tracing, "tracing");
  }

  /**
   * Default policy, topics created on demand, 30 s publish timeout, 2 KiB stack traces, on a
   * plaintext cluster at {@code bootstrapServers} (the shortcut for {@code
   * of(ClusterOptions.of(bootstrapServers), groupId)}).
   */
  public static RecoveryOptions of(String bootstrapServers, String groupId) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must be set, for example \"localhost:9092\"");
    }
    return of(ClusterOptions.of(bootstrapServers), groupId);
  }

  /** {@link #of(ClusterOptions, String)} with the options of this cluster handle. */
  public static RecoveryOptions of(KafkaCluster cluster, String groupId) {
    return of(Objects.requireNonNull(cluster, "cluster").options(), groupId);
  }

  /** Default settings on this cluster (its security reaches the producer and the admin client). */
  public static RecoveryOptions of(ClusterOptions cluster, String groupId) {
    return new RecoveryOptions(cluster, groupId, RetryPolicy.defaults(), Map.of(), true,
        Duration.ofSeconds(30), DEFAULT_MAX_STACK_TRACE_BYTES, Clock.systemUTC(), null, new RecoveryListener() {},
        io.sagaflow.tracing.Tracing.none());
  }

  /** These options on another cluster. */
  public RecoveryOptions withCluster(ClusterOptions cluster) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  /** These options with other bootstrap servers on the same cluster settings (security kept). */
  public RecoveryOptions withBootstrapServers(String bootstrapServers) {
    return withCluster(cluster.withBootstrapServers(bootstrapServers));
  }

  /** The bootstrap servers of {@link #cluster()}. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Every setting, with passwords and other secrets of the producer properties redacted. */
  @Override
  public String toString() {
    return "RecoveryOptions[cluster=" + cluster + ", groupId=" + groupId + ", policy=" + policy
        + ", producerProperties=" + Redaction.redact(producerProperties) + ", createTopics=" + createTopics
        + ", publishTimeout=" + publishTimeout + ", maxStackTraceBytes=" + maxStackTraceBytes
        + ", clock=" + clock + ", random=" + random + ", listener=" + listener + "]";
  }

  public RecoveryOptions withGroupId(String groupId) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  public RecoveryOptions withPolicy(RetryPolicy policy) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  public RecoveryOptions withProducerProperties(Map<String, Object> producerProperties) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  /** Adds one raw producer (and admin) property; it wins over our defaults. */
  public RecoveryOptions withProducerProperty(String key, Object value) {
    Map<String, Object> copy = new TreeMap<>(producerProperties);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return withProducerProperties(copy);
  }

  public RecoveryOptions withCreateTopics(boolean createTopics) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  public RecoveryOptions withPublishTimeout(Duration publishTimeout) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  /**
   * These options with another cap of the stack-trace header (at least 256 bytes; default {@value
   * #DEFAULT_MAX_STACK_TRACE_BYTES}); see {@link #maxStackTraceBytes()} for what a cut keeps.
   */
  public RecoveryOptions withMaxStackTraceBytes(int maxStackTraceBytes) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  public RecoveryOptions withClock(Clock clock) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  public RecoveryOptions withRandom(RandomGenerator random) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  public RecoveryOptions withListener(RecoveryListener listener) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, tracing);
  }

  /**
   * These options with tracing (for example {@code SagaflowTelemetry.create(openTelemetry)}): each
   * retry and dead-letter copy gets a producer span, child of the failed record's span, and carries
   * its context in {@code traceparent}. In an exactly-once processor the copy is written through
   * the record, and its span is the processor's ({@code ProcessorOptions.withTracing}).
   */
  public RecoveryOptions withTracing(io.sagaflow.tracing.Tracing tracing) {
    return new RecoveryOptions(cluster, groupId, policy, producerProperties, createTopics,
        publishTimeout, maxStackTraceBytes, clock, random, listener, Objects.requireNonNull(tracing, "tracing"));
  }
}
