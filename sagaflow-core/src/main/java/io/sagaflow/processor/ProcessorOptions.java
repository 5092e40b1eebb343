package io.sagaflow.processor;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.internal.Redaction;

/**
 * Immutable settings of a {@link Processor}. Start from {@link #create} and refine with the
 * {@code withX} methods; every value is validated when the options are built.
 *
 * <pre>{@code
 * ProcessorOptions<String, String> options =
 *     ProcessorOptions.create(bootstrap, "orders", new StringDeserializer(), new StringDeserializer())
 *         .withTopics("orders")
 *         .withOrdering(Ordering.KEY)
 *         .withMaxInFlight(10_000)
 *         .withKafkaProperty("max.poll.records", 1000);
 * }</pre>
 *
 * <p>Raw Kafka consumer properties pass straight through ({@link #withKafkaProperty}); only the
 * settings the processor owns are typed here. Connection and security settings belong to the
 * {@link ClusterOptions} ({@link #cluster()}). The processor itself sets {@code bootstrap.servers},
 * {@code group.id}, byte-array deserializers and {@code enable.auto.commit=false}: passing those
 * keys as raw properties is rejected.
 *
 * @param cluster the Kafka cluster: bootstrap servers, security and client overrides shared by the
 *     consumers and producers of the processor (see {@link KafkaCluster})
 * @param groupId consumer group
 * @param topics topics to subscribe to (empty when {@code topicPattern} is used)
 * @param topicPattern pattern subscription, or {@code null}
 * @param ordering see {@link Ordering}; default {@link Ordering#KEY}
 * @param maxInFlight records dispatched but not finished, over all partitions (default 1000).
 *     Records polled beyond it wait in their partition's backlog with the partition paused; the
 *     backlogs are bounded by the same limits (plus one poll's records)
 * @param maxInFlightPerPartition records dispatched but not finished per partition (default 1000)
 * @param maxBufferedBytes serialized key+value bytes dispatched but not finished (default 64 MiB)
 * @param commitStrategy see {@link CommitStrategy}; default periodic async
 * @param commitInterval period of periodic commits (default 1 s); a poll loop that falls idle
 *     commits at once, at most every tenth of the interval
 * @param shutdownTimeout how long {@link Processor#close()} drains in-flight work (default 30 s)
 * @param rebalanceTimeout how long a revoke waits for the revoked partitions' work (default 10 s)
 * @param consumers number of KafkaConsumer instances, each with its own poll thread (default 1)
 * @param keyDeserializer deserializes keys (on worker threads)
 * @param valueDeserializer deserializes values (on worker threads)
 * @param kafkaProperties raw consumer properties, passed through unchanged
 * @param failureHandler what happens to failed records; default {@link FailureHandler#retryInPlace()}
 * @param notBefore when each record may run at the earliest; {@code null} means no delay
 * @param meterRegistry a Micrometer {@code MeterRegistry}, or {@code null} (kept as Object so the
 *     processor runs without Micrometer on the classpath)
 * @param shutdownHook whether to close the processor from a JVM shutdown hook (SIGTERM)
 * @param publisherPrefetch records buffered ahead of demand for {@link Processor#publisher()}
 * @param offsetMetadataMaxChars cap on the commit metadata (see {@link #withOffsetMetadataMaxChars})
 * @param exactlyOnce exactly-once settings, {@code null} (the default) for at-least-once
 * @param producerProperties properties of the producer behind {@link ProcessorRecord#send}
 * @param blockingHandlers whether handlers mostly wait rather than compute (see {@link
 *     #withBlockingHandlers})
 */
public record ProcessorOptions<K, V>(
    ClusterOptions cluster,
    String groupId,
    List<String> topics,
    Pattern topicPattern,
    Ordering ordering,
    int maxInFlight,
    int maxInFlightPerPartition,
    long maxBufferedBytes,
    CommitStrategy commitStrategy,
    Duration commitInterval,
    Duration shutdownTimeout,
    Duration rebalanceTimeout,
    int consumers,
    Deserializer<K> keyDeserializer,
    Deserializer<V> valueDeserializer,
    Map<String, Object> kafkaProperties,
    FailureHandler failureHandler,
    Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore,
    Object meterRegistry,
    boolean shutdownHook,
    int publisherPrefetch,
    int offsetMetadataMaxChars,
    ExactlyOnce exactlyOnce,
    Map<String, Object> producerProperties,
    boolean blockingHandlers) {

  private static final List<String> OWNED_KEYS =
      List.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
          ConsumerConfig.GROUP_ID_CONFIG,
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);

  public ProcessorOptions {
    Objects.requireNonNull(cluster, "cluster");
    requireText(groupId, "groupId");
    topics = List.copyOf(Objects.requireNonNull(topics, "topics"));
    for (String t : topics) {
      requireText(t, "topic name");
    }
    if (!topics.isEmpty() && topicPattern != null) {
      throw new IllegalArgumentException(
          "topics " + topics + " and topicPattern (" + topicPattern
              + ") are both set: subscribe with one of withTopics(...) or withTopicPattern(...)");
    }
    Objects.requireNonNull(ordering, "ordering");
    positive(maxInFlight, "maxInFlight");
    positive(maxInFlightPerPartition, "maxInFlightPerPartition");
    if (maxBufferedBytes <= 0) {
      throw new IllegalArgumentException("maxBufferedBytes (" + maxBufferedBytes + ") must be positive");
    }
    Objects.requireNonNull(commitStrategy, "commitStrategy");
    requirePositive(commitInterval, "commitInterval");
    requireNonNegative(shutdownTimeout, "shutdownTimeout");
    requireNonNegative(rebalanceTimeout, "rebalanceTimeout");
    positive(consumers, "consumers");
    Objects.requireNonNull(keyDeserializer, "keyDeserializer");
    Objects.requireNonNull(valueDeserializer, "valueDeserializer");
    Objects.requireNonNull(kafkaProperties, "kafkaProperties");
    for (String owned : OWNED_KEYS) {
      if (kafkaProperties.containsKey(owned)) {
        throw new IllegalArgumentException(
            "Kafka property '" + owned + "' is owned by the processor: "
                + "use the typed option (cluster, groupId, keyDeserializer/valueDeserializer) "
                + "or the commit strategy instead of passing it as a raw property");
      }
    }
    kafkaProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(kafkaProperties));
    Objects.requireNonNull(failureHandler, "failureHandler");
    if (meterRegistry != null && !isMeterRegistry(meterRegistry)) {
      throw new IllegalArgumentException(
          "meterRegistry (" + meterRegistry.getClass().getName()
              + ") must be an io.micrometer.core.instrument.MeterRegistry");
    }
    positive(publisherPrefetch, "publisherPrefetch");
    if (offsetMetadataMaxChars < 32) {
      throw new IllegalArgumentException("offsetMetadataMaxChars (" + offsetMetadataMaxChars
          + ") must be at least 32; keep it under the broker's offset.metadata.max.bytes (default 4096)");
    }
    Objects.requireNonNull(producerProperties, "producerProperties");
    for (String owned : List.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG)) {
      if (producerProperties.containsKey(owned)) {
        throw new IllegalArgumentException("producer property '" + owned + "' is owned by the processor: "
            + "the producer uses the processor's cluster, byte[] serializers and, in exactly-once "
            + "mode, a transactional id built from ExactlyOnce.transactionalIdPrefix()");
      }
    }
    producerProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(producerProperties));
    if (exactlyOnce != null) {
      if (commitStrategy == CommitStrategy.MANUAL || commitStrategy == CommitStrategy.NONE) {
        throw new IllegalArgumentException("exactly-once mode commits offsets inside its transactions; the "
            + "commit strategy " + commitStrategy + " cannot be combined with it: leave the default");
      }
    }
  }

  /**
   * Options with defaults on a plaintext cluster at {@code bootstrapServers} (the shortcut for
   * {@link #create(ClusterOptions, String, Deserializer, Deserializer)} with {@code
   * ClusterOptions.of(bootstrapServers)}); set the topics with {@link #withTopics} or {@link
   * #withTopicPattern}.
   */
  public static <K, V> ProcessorOptions<K, V> create(
      String bootstrapServers,
      String groupId,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers (" + (bootstrapServers == null ? "null" : "'"
          + bootstrapServers + "'") + ") must be a non-blank string");
    }
    return create(ClusterOptions.of(bootstrapServers), groupId, keyDeserializer, valueDeserializer);
  }

  /** Options with defaults on the cluster of this handle. */
  public static <K, V> ProcessorOptions<K, V> create(
      KafkaCluster cluster,
      String groupId,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer) {
    return create(Objects.requireNonNull(cluster, "cluster").options(), groupId, keyDeserializer, valueDeserializer);
  }

  /**
   * Options with defaults on this cluster (its security reaches every client of the processor);
   * set the topics with {@link #withTopics} or {@link #withTopicPattern}.
   */
  public static <K, V> ProcessorOptions<K, V> create(
      ClusterOptions cluster,
      String groupId,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer) {
    return new ProcessorOptions<>(
        cluster,
        groupId,
        List.of(),
        null,
        Ordering.KEY,
        1000,
        1000,
        64L * 1024 * 1024,
        CommitStrategy.PERIODIC_ASYNC,
        Duration.ofSeconds(1),
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        1,
        keyDeserializer,
        valueDeserializer,
        Map.of(),
        FailureHandler.retryInPlace(),
        null,
        null,
        false,
        256,
        3000,
        null,
        Map.of(),
        false);
  }

  /**
   * These options on another cluster; the consumers, the producer behind {@link ProcessorRecord#send}
   * and the exactly-once producers all connect with it.
   */
  public ProcessorOptions<K, V> withCluster(ClusterOptions v) {
    return new ProcessorOptions<>(v, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /** {@link #withCluster} with the options of this cluster handle. */
  public ProcessorOptions<K, V> withCluster(KafkaCluster v) {
    return withCluster(Objects.requireNonNull(v, "cluster").options());
  }

  /** These options with other bootstrap servers on the same cluster settings (security kept). */
  public ProcessorOptions<K, V> withBootstrapServers(String v) {
    return withCluster(cluster.withBootstrapServers(v));
  }

  /** The bootstrap servers of {@link #cluster()}. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  public ProcessorOptions<K, V> withGroupId(String v) {
    return new ProcessorOptions<>(cluster, v, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withTopics(String... v) {
    return withTopics(List.of(v));
  }

  public ProcessorOptions<K, V> withTopics(List<String> v) {
    return new ProcessorOptions<>(cluster, groupId, v, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withTopicPattern(Pattern v) {
    return new ProcessorOptions<>(cluster, groupId, topics, v, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withOrdering(Ordering v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, v, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withMaxInFlight(int v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, v, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withMaxInFlightPerPartition(int v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, v, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withMaxBufferedBytes(long v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, v, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withCommitStrategy(CommitStrategy v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, v, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withCommitInterval(Duration v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, v, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withShutdownTimeout(Duration v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, v, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withRebalanceTimeout(Duration v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, v, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /** Number of KafkaConsumer instances, each with its own poll thread. */
  public ProcessorOptions<K, V> withConsumers(int v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, v, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withKeyDeserializer(Deserializer<K> v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, v, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withValueDeserializer(Deserializer<V> v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, v, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /** Replaces all raw Kafka consumer properties. */
  public ProcessorOptions<K, V> withKafkaProperties(Map<String, ?> v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, new LinkedHashMap<String, Object>(v), failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /** Adds one raw Kafka consumer property (for example {@code group.protocol=consumer}). */
  public ProcessorOptions<K, V> withKafkaProperty(String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(kafkaProperties);
    m.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return withKafkaProperties(m);
  }

  public ProcessorOptions<K, V> withFailureHandler(FailureHandler v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, v, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /**
   * When each record may run at the earliest ({@code null} result or function = no delay). A record
   * whose time is in the future is not dispatched: its partition is rewound to it and paused until
   * the time comes, while the other partitions keep flowing.
   */
  public ProcessorOptions<K, V> withNotBefore(Function<ConsumerRecord<byte[], byte[]>, Instant> v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, v, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /**
   * Publishes metrics to a Micrometer registry. Typed as {@code Object} in the record so the
   * processor loads without Micrometer; pass an {@code io.micrometer.core.instrument.MeterRegistry}.
   */
  public ProcessorOptions<K, V> withMeterRegistry(Object v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, v, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /** Registers a JVM shutdown hook that closes the processor with {@link #shutdownTimeout()}. */
  public ProcessorOptions<K, V> withShutdownHook(boolean v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, v, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  public ProcessorOptions<K, V> withPublisherPrefetch(int v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, v, offsetMetadataMaxChars, exactlyOnce, producerProperties, blockingHandlers);
  }

  /**
   * Cap on the commit metadata that records finished offsets above the committed one (default
   * 3000 chars; keep it under the broker's {@code offset.metadata.max.bytes}, 4096 by default). When
   * the out-of-order completions of a partition no longer fit, the processor stops taking new
   * records from it until the gap closes, rather than dropping the map.
   */
  public ProcessorOptions<K, V> withOffsetMetadataMaxChars(int v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, v, exactlyOnce, producerProperties, blockingHandlers);
  }

  /**
   * Turns on exactly-once processing: each consumer thread owns a transactional producer; what
   * handlers {@link ProcessorRecord#send send} and the offsets of the records they finished commit in
   * one Kafka transaction, every {@link #commitInterval()} or {@link
   * ExactlyOnce#maxRecordsPerTransaction()} records, whichever comes first (the interval counts
   * from the end of the previous commit, as {@code commit.interval.ms} does in Kafka Streams).
   * Input is read with {@code isolation.level=read_committed}. See {@link ExactlyOnce}.
   */
  public ProcessorOptions<K, V> withExactlyOnce(ExactlyOnce v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, Objects.requireNonNull(v, "exactlyOnce"), producerProperties, blockingHandlers);
  }

  /** {@link #withExactlyOnce(ExactlyOnce)} with {@link ExactlyOnce#defaults()}. */
  public ProcessorOptions<K, V> withExactlyOnce() {
    return withExactlyOnce(ExactlyOnce.defaults());
  }

  /**
   * Properties of the producer behind {@link ProcessorRecord#send} (linger.ms, batch.size,
   * compression.type, security settings, ...). Idempotence and {@code acks=all} are always on.
   */
  public ProcessorOptions<K, V> withProducerProperties(Map<String, ?> v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, new LinkedHashMap<String, Object>(v), blockingHandlers);
  }

  /**
   * Whether handlers mostly wait (on other services, I/O, sagas) rather than compute. By default a
   * few runners, one per core, run ready records one after another, and more are started only when
   * every runner has been stuck in a handler for a millisecond or so: right for handlers that
   * compute, but a waiting handler then holds back records of other keys for a poll turn or two.
   * With blocking handlers each record that is ready to run gets a virtual thread at once (at most
   * {@link #maxInFlight()} of them, as in-flight records bound the ready ones).
   */
  public ProcessorOptions<K, V> withBlockingHandlers(boolean v) {
    return new ProcessorOptions<>(cluster, groupId, topics, topicPattern, ordering, maxInFlight, maxInFlightPerPartition, maxBufferedBytes, commitStrategy, commitInterval, shutdownTimeout, rebalanceTimeout, consumers, keyDeserializer, valueDeserializer, kafkaProperties, failureHandler, notBefore, meterRegistry, shutdownHook, publisherPrefetch, offsetMetadataMaxChars, exactlyOnce, producerProperties, v);
  }

  /** Every setting, with passwords and other secrets of the raw properties redacted. */
  @Override
  public String toString() {
    return "ProcessorOptions[cluster=" + cluster + ", groupId=" + groupId + ", topics=" + topics
        + ", topicPattern=" + topicPattern + ", ordering=" + ordering + ", maxInFlight=" + maxInFlight
        + ", maxInFlightPerPartition=" + maxInFlightPerPartition + ", maxBufferedBytes=" + maxBufferedBytes
        + ", commitStrategy=" + commitStrategy + ", commitInterval=" + commitInterval
        + ", shutdownTimeout=" + shutdownTimeout + ", rebalanceTimeout=" + rebalanceTimeout
        + ", consumers=" + consumers + ", keyDeserializer=" + keyDeserializer
        + ", valueDeserializer=" + valueDeserializer + ", kafkaProperties=" + Redaction.redact(kafkaProperties)
        + ", failureHandler=" + failureHandler + ", notBefore=" + notBefore + ", meterRegistry=" + meterRegistry
        + ", shutdownHook=" + shutdownHook + ", publisherPrefetch=" + publisherPrefetch
        + ", offsetMetadataMaxChars=" + offsetMetadataMaxChars + ", exactlyOnce=" + exactlyOnce
        + ", producerProperties=" + Redaction.redact(producerProperties)
        + ", blockingHandlers=" + blockingHandlers + "]";
  }

  /** Whether {@link #withExactlyOnce} is on. */
  public boolean isExactlyOnce() {
    return exactlyOnce != null;
  }

  private static void requireText(String s, String name) {
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException(name + " (" + (s == null ? "null" : "'" + s + "'") + ") must be a non-blank string");
    }
  }

  private static void positive(long v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " (" + v + ") must be positive");
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " (" + d + ") must be positive");
    }
  }

  private static void requireNonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " (" + d + ") must not be negative");
    }
  }

  private static boolean isMeterRegistry(Object o) {
    for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals("io.micrometer.core.instrument.MeterRegistry")) {
        return true;
      }
    }
    return false;
  }
}
