package io.sagaflow.processor;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.internal.Redaction;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Immutable settings of a {@link Processor}. Start from {@link #create} and refine with the
 * {@code withX} methods; each returns new options and leaves these unchanged. Every value is
 * validated when it is set, and a conflict is named in the exception's message.
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
 * {@link ClusterOptions} ({@link #cluster()}), shared by the consumers and producers of the
 * processor. The processor itself sets {@code bootstrap.servers},
 * {@code group.id}, byte-array deserializers and {@code enable.auto.commit=false}: passing those
 * keys as raw properties is rejected.
 *
 * <p>{@link #toString()} hides passwords, JAAS configurations and keys among the raw properties.
 */
public final class ProcessorOptions<K, V> {
  /**
   * The values, with their defaults. Never changed once the options are built: a {@code withX}
   * method clones them, sets one value, and validates the copy. A new option is a field here, an
   * accessor, a wither and (if it needs one) a check in {@link ProcessorOptionsCheck}: nothing else
   * repeats it.
   */
  private static final class Values<K, V> implements Cloneable {
    ClusterOptions cluster;
    String groupId;
    List<String> topics = List.of();
    Pattern topicPattern;
    Ordering ordering = Ordering.KEY;
    int maxInFlight = 1000;
    int maxInFlightPerPartition = 1000;
    long maxBufferedBytes = 64L * 1024 * 1024;
    CommitStrategy commitStrategy = CommitStrategy.PERIODIC_ASYNC;
    Duration commitInterval = Duration.ofSeconds(1);
    Duration shutdownTimeout = Duration.ofSeconds(30);
    Duration rebalanceTimeout = Duration.ofSeconds(10);
    int consumers = 1;
    Deserializer<K> keyDeserializer;
    Deserializer<V> valueDeserializer;
    Map<String, Object> kafkaProperties = Map.of();
    FailureHandler failureHandler = FailureHandler.retryInPlace();
    Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore;
    ProcessorMetrics metrics = ProcessorMetrics.none();
    io.sagaflow.tracing.Tracing tracing = io.sagaflow.tracing.Tracing.none();
    boolean shutdownHook;
    int publisherPrefetch = 256;
    int offsetMetadataMaxChars = 3000;
    ExactlyOnce exactlyOnce;
    Map<String, Object> producerProperties = Map.of();
    boolean blockingHandlers;
    Duration connectionTimeout = Duration.ofSeconds(30);
    boolean failFastConnect;
    Duration stallAlarmAfter = Duration.ofMinutes(5);
    String instanceId;

    @Override
    @SuppressWarnings("unchecked")
    protected Values<K, V> clone() {
      try {
        return (Values<K, V>) super.clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private final Values<K, V> v;

  private ProcessorOptions(Values<K, V> values) {
    this.v = values;
    ProcessorOptionsCheck.validate(this);
  }

  /**
   * Options with defaults on a plaintext cluster at {@code bootstrapServers}: the shortcut for
   * {@link #create(ClusterOptions, String, Deserializer, Deserializer)} with {@code
   * ClusterOptions.of(bootstrapServers)}. Set the topics with {@link #withTopics} or {@link
   * #withTopicPattern}.
   *
   * @param bootstrapServers Kafka bootstrap servers, {@code host:port[,host:port...]}
   * @param groupId the consumer group
   * @param keyDeserializer deserializes keys (on handler threads)
   * @param valueDeserializer deserializes values (on handler threads)
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
    Values<K, V> values = new Values<>();
    values.cluster = cluster;
    values.groupId = groupId;
    values.keyDeserializer = keyDeserializer;
    values.valueDeserializer = valueDeserializer;
    return new ProcessorOptions<>(values);
  }

  private ProcessorOptions<K, V> with(Consumer<Values<K, V>> change) {
    Values<K, V> copy = v.clone();
    change.accept(copy);
    return new ProcessorOptions<>(copy);
  }

  // ---- accessors ------------------------------------------------------------------------------

  /** The Kafka cluster: bootstrap servers, security and client overrides (see {@link KafkaCluster}). */
  public ClusterOptions cluster() {
    return v.cluster;
  }

  /** The bootstrap servers of {@link #cluster()}. */
  public String bootstrapServers() {
    return v.cluster.bootstrapServers();
  }

  /** The consumer group. */
  public String groupId() {
    return v.groupId;
  }

  /** Topics to subscribe to (empty when {@link #topicPattern()} is used). */
  public List<String> topics() {
    return v.topics;
  }

  /** Pattern subscription, or {@code null}. */
  public Pattern topicPattern() {
    return v.topicPattern;
  }

  /** See {@link Ordering}; default {@link Ordering#KEY}. */
  public Ordering ordering() {
    return v.ordering;
  }

  /**
   * Records dispatched but not finished, over all partitions (default 1000). Records polled beyond
   * it wait in their partition's backlog with the partition paused; the backlogs are bounded by the
   * same limits (plus one poll's records).
   */
  public int maxInFlight() {
    return v.maxInFlight;
  }

  /** Records dispatched but not finished per partition (default 1000). */
  public int maxInFlightPerPartition() {
    return v.maxInFlightPerPartition;
  }

  /** Serialized key+value bytes dispatched but not finished (default 64 MiB). */
  public long maxBufferedBytes() {
    return v.maxBufferedBytes;
  }

  /** See {@link CommitStrategy}; default periodic async. */
  public CommitStrategy commitStrategy() {
    return v.commitStrategy;
  }

  /**
   * Period of periodic commits (default 1 s); a poll loop that falls idle commits at once, at most
   * every tenth of the interval.
   */
  public Duration commitInterval() {
    return v.commitInterval;
  }

  /** How long {@link Processor#close()} drains in-flight work (default 30 s). */
  public Duration shutdownTimeout() {
    return v.shutdownTimeout;
  }

  /** How long a revoke waits for the revoked partitions' work (default 10 s). */
  public Duration rebalanceTimeout() {
    return v.rebalanceTimeout;
  }

  /** Number of KafkaConsumer instances, each with its own poll thread (default 1). */
  public int consumers() {
    return v.consumers;
  }

  /** Deserializes keys (on handler threads). */
  public Deserializer<K> keyDeserializer() {
    return v.keyDeserializer;
  }

  /** Deserializes values (on handler threads). */
  public Deserializer<V> valueDeserializer() {
    return v.valueDeserializer;
  }

  /** Raw consumer properties, passed through unchanged. */
  public Map<String, Object> kafkaProperties() {
    return v.kafkaProperties;
  }

  /** What happens to failed records; default {@link FailureHandler#retryInPlace()}. */
  public FailureHandler failureHandler() {
    return v.failureHandler;
  }

  /** When each record may run at the earliest; {@code null} means no delay. */
  public Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore() {
    return v.notBefore;
  }

  /** Where measurements go; default {@link ProcessorMetrics#none()}. */
  public ProcessorMetrics metrics() {
    return v.metrics;
  }

  /** Where spans go; default {@link io.sagaflow.tracing.Tracing#none()}. */
  public io.sagaflow.tracing.Tracing tracing() {
    return v.tracing;
  }

  /** Whether to close the processor from a JVM shutdown hook (SIGTERM). */
  public boolean shutdownHook() {
    return v.shutdownHook;
  }

  /** Records buffered ahead of demand for {@link Processor#publisher()} (default 256). */
  public int publisherPrefetch() {
    return v.publisherPrefetch;
  }

  /** Cap on the commit metadata (see {@link #withOffsetMetadataMaxChars}). */
  public int offsetMetadataMaxChars() {
    return v.offsetMetadataMaxChars;
  }

  /** Exactly-once settings, {@code null} (the default) for at-least-once. */
  public ExactlyOnce exactlyOnce() {
    return v.exactlyOnce;
  }

  /** Whether {@link #withExactlyOnce} is on. */
  public boolean isExactlyOnce() {
    return v.exactlyOnce != null;
  }

  /** Properties of the producer behind {@link ProcessorRecord#send}. */
  public Map<String, Object> producerProperties() {
    return v.producerProperties;
  }

  /** Whether handlers mostly wait rather than compute (see {@link #withBlockingHandlers}). */
  public boolean blockingHandlers() {
    return v.blockingHandlers;
  }

  /**
   * How long no broker may answer before {@link Processor#status()} says {@link
   * ProcessorStatus.State#DISCONNECTED} (default 30 s); also the bound of {@link
   * #withFailFastConnect}.
   */
  public Duration connectionTimeout() {
    return v.connectionTimeout;
  }

  /** Whether {@link Processor#start()} waits for the cluster and throws if it can't be reached. */
  public boolean failFastConnect() {
    return v.failFastConnect;
  }

  /** How long a record may stay stalled before health turns DOWN (default 5 min). */
  public Duration stallAlarmAfter() {
    return v.stallAlarmAfter;
  }

  /** This instance's stable id, or {@code null}: see {@link #withInstanceId}. */
  public String instanceId() {
    return v.instanceId;
  }

  // ---- withers --------------------------------------------------------------------------------

  /**
   * These options on another cluster; the consumers, the producer behind {@link ProcessorRecord#send}
   * and the exactly-once producers all connect with it.
   */
  public ProcessorOptions<K, V> withCluster(ClusterOptions cluster) {
    return with(c -> c.cluster = cluster);
  }

  /** {@link #withCluster} with the options of this cluster handle. */
  public ProcessorOptions<K, V> withCluster(KafkaCluster cluster) {
    return withCluster(Objects.requireNonNull(cluster, "cluster").options());
  }

  /** These options with other bootstrap servers on the same cluster settings (security kept). */
  public ProcessorOptions<K, V> withBootstrapServers(String bootstrapServers) {
    return withCluster(v.cluster.withBootstrapServers(bootstrapServers));
  }

  public ProcessorOptions<K, V> withGroupId(String groupId) {
    return with(c -> c.groupId = groupId);
  }

  public ProcessorOptions<K, V> withTopics(String... topics) {
    return withTopics(List.of(topics));
  }

  public ProcessorOptions<K, V> withTopics(List<String> topics) {
    List<String> copy = List.copyOf(Objects.requireNonNull(topics, "topics"));
    return with(c -> c.topics = copy);
  }

  public ProcessorOptions<K, V> withTopicPattern(Pattern topicPattern) {
    return with(c -> c.topicPattern = topicPattern);
  }

  public ProcessorOptions<K, V> withOrdering(Ordering ordering) {
    return with(c -> c.ordering = ordering);
  }

  public ProcessorOptions<K, V> withMaxInFlight(int maxInFlight) {
    return with(c -> c.maxInFlight = maxInFlight);
  }

  public ProcessorOptions<K, V> withMaxInFlightPerPartition(int maxInFlightPerPartition) {
    return with(c -> c.maxInFlightPerPartition = maxInFlightPerPartition);
  }

  public ProcessorOptions<K, V> withMaxBufferedBytes(long maxBufferedBytes) {
    return with(c -> c.maxBufferedBytes = maxBufferedBytes);
  }

  public ProcessorOptions<K, V> withCommitStrategy(CommitStrategy commitStrategy) {
    return with(c -> c.commitStrategy = commitStrategy);
  }

  public ProcessorOptions<K, V> withCommitInterval(Duration commitInterval) {
    return with(c -> c.commitInterval = commitInterval);
  }

  public ProcessorOptions<K, V> withShutdownTimeout(Duration shutdownTimeout) {
    return with(c -> c.shutdownTimeout = shutdownTimeout);
  }

  public ProcessorOptions<K, V> withRebalanceTimeout(Duration rebalanceTimeout) {
    return with(c -> c.rebalanceTimeout = rebalanceTimeout);
  }

  /** Number of KafkaConsumer instances, each with its own poll thread. */
  public ProcessorOptions<K, V> withConsumers(int consumers) {
    return with(c -> c.consumers = consumers);
  }

  public ProcessorOptions<K, V> withKeyDeserializer(Deserializer<K> keyDeserializer) {
    return with(c -> c.keyDeserializer = keyDeserializer);
  }

  public ProcessorOptions<K, V> withValueDeserializer(Deserializer<V> valueDeserializer) {
    return with(c -> c.valueDeserializer = valueDeserializer);
  }

  /** Replaces all raw Kafka consumer properties. */
  public ProcessorOptions<K, V> withKafkaProperties(Map<String, ?> kafkaProperties) {
    Map<String, Object> copy = Collections.unmodifiableMap(
        new LinkedHashMap<>(Objects.requireNonNull(kafkaProperties, "kafkaProperties")));
    return with(c -> c.kafkaProperties = copy);
  }

  /** Adds one raw Kafka consumer property (for example {@code group.protocol=consumer}). */
  public ProcessorOptions<K, V> withKafkaProperty(String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(v.kafkaProperties);
    m.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return withKafkaProperties(m);
  }

  public ProcessorOptions<K, V> withFailureHandler(FailureHandler failureHandler) {
    return with(c -> c.failureHandler = failureHandler);
  }

  /**
   * When each record may run at the earliest ({@code null} result or function = no delay). A record
   * whose time is in the future is not dispatched: its partition is rewound to it and paused until
   * the time comes, while the other partitions keep flowing.
   */
  public ProcessorOptions<K, V> withNotBefore(Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore) {
    return with(c -> c.notBefore = notBefore);
  }

  /**
   * Where the processor's measurements go, for example {@code MicrometerProcessorMetrics.of(registry)};
   * {@link ProcessorMetrics#none()} (the default) measures nothing.
   */
  public ProcessorOptions<K, V> withMetrics(ProcessorMetrics metrics) {
    return with(c -> c.metrics = metrics);
  }

  /**
   * Where the processor's spans go, for example {@code SagaflowTelemetry.create(openTelemetry)} of
   * the {@code sagaflow-opentelemetry} module: a consumer span per record (record handlers; batch
   * handlers are not traced), and a producer span per {@link ProcessorRecord#send send}, whose
   * context the sent record carries in its {@code traceparent} header. {@link
   * io.sagaflow.tracing.Tracing#none()} (the default) records nothing.
   */
  public ProcessorOptions<K, V> withTracing(io.sagaflow.tracing.Tracing tracing) {
    java.util.Objects.requireNonNull(tracing, "tracing");
    return with(c -> c.tracing = tracing);
  }

  /** Registers a JVM shutdown hook that closes the processor with {@link #shutdownTimeout()}. */
  public ProcessorOptions<K, V> withShutdownHook(boolean shutdownHook) {
    return with(c -> c.shutdownHook = shutdownHook);
  }

  public ProcessorOptions<K, V> withPublisherPrefetch(int publisherPrefetch) {
    return with(c -> c.publisherPrefetch = publisherPrefetch);
  }

  /**
   * Cap on the commit metadata that records finished offsets above the committed one (default
   * 3000 chars; keep it under the broker's {@code offset.metadata.max.bytes}, 4096 by default). When
   * the out-of-order completions of a partition no longer fit, the processor stops taking new
   * records from it until the gap closes, rather than dropping the map.
   */
  public ProcessorOptions<K, V> withOffsetMetadataMaxChars(int offsetMetadataMaxChars) {
    return with(c -> c.offsetMetadataMaxChars = offsetMetadataMaxChars);
  }

  /**
   * Turns on exactly-once processing: each consumer thread owns a transactional producer; what
   * handlers {@link ProcessorRecord#send send} and the offsets of the records they finished commit in
   * one Kafka transaction, every {@link #commitInterval()} or {@link
   * ExactlyOnce#maxRecordsPerTransaction()} records, whichever comes first (the interval counts
   * from the end of the previous commit, as {@code commit.interval.ms} does in Kafka Streams).
   * Input is read with {@code isolation.level=read_committed}. See {@link ExactlyOnce}.
   */
  public ProcessorOptions<K, V> withExactlyOnce(ExactlyOnce exactlyOnce) {
    Objects.requireNonNull(exactlyOnce, "exactlyOnce");
    return with(c -> c.exactlyOnce = exactlyOnce);
  }

  /** {@link #withExactlyOnce(ExactlyOnce)} with {@link ExactlyOnce#defaults()}. */
  public ProcessorOptions<K, V> withExactlyOnce() {
    return withExactlyOnce(ExactlyOnce.defaults());
  }

  /**
   * Properties of the producer behind {@link ProcessorRecord#send} (linger.ms, batch.size,
   * compression.type, security settings, ...). Idempotence and {@code acks=all} are always on.
   */
  public ProcessorOptions<K, V> withProducerProperties(Map<String, ?> producerProperties) {
    Map<String, Object> copy = Collections.unmodifiableMap(
        new LinkedHashMap<>(Objects.requireNonNull(producerProperties, "producerProperties")));
    return with(c -> c.producerProperties = copy);
  }

  /**
   * Whether handlers mostly wait (on other services, I/O, sagas) rather than compute. By default a
   * few runners, one per core, run ready records one after another, and more are started only when
   * every runner has been stuck in a handler for a millisecond or so: right for handlers that
   * compute, but a waiting handler then holds back records of other keys for a poll turn or two.
   * With blocking handlers each record that is ready to run gets a virtual thread at once (at most
   * {@link #maxInFlight()} of them, as in-flight records bound the ready ones).
   */
  public ProcessorOptions<K, V> withBlockingHandlers(boolean blockingHandlers) {
    return with(c -> c.blockingHandlers = blockingHandlers);
  }

  /**
   * How long no broker may answer the processor's consumers (no metadata, fetch or heartbeat
   * response) before its status says {@link ProcessorStatus.State#DISCONNECTED} and its health
   * DOWN, with a problem that names the bootstrap servers (default 30 s). It returns to RUNNING by
   * itself when a broker answers again. Also bounds {@link #withFailFastConnect}. Keep it well above
   * the heartbeat interval (3 s classic, 5 s with {@code group.protocol=consumer}): a consumer whose
   * partitions are all paused hears from the cluster only through heartbeats.
   */
  public ProcessorOptions<K, V> withConnectionTimeout(Duration connectionTimeout) {
    return with(c -> c.connectionTimeout = connectionTimeout);
  }

  /**
   * With {@code true}, {@link Processor#start()} waits until every consumer has heard from a broker,
   * at most {@link #connectionTimeout()}, and otherwise closes the processor and throws an {@link
   * IllegalStateException} that names the bootstrap servers. Default {@code false}: start returns
   * at once and the status reports a missing cluster.
   */
  public ProcessorOptions<K, V> withFailFastConnect(boolean failFastConnect) {
    return with(c -> c.failFastConnect = failFastConnect);
  }

  /**
   * How long a record may keep failing while it is retried in place (it holds back its key and its
   * partition's commits) before the processor's health turns DOWN (default 5 min). The record shows
   * in {@link ProcessorStatus#stalledRecords()} well before that, and a WARN is logged after 1, 2, 4,
   * 8 and 16 minutes, then every 16 minutes.
   */
  public ProcessorOptions<K, V> withStallAlarmAfter(Duration stallAlarmAfter) {
    return with(c -> c.stallAlarmAfter = stallAlarmAfter);
  }

  /**
   * A stable id of this instance (a pod or host name: the same after a restart, different for
   * each live instance). The processor then joins its group as a <em>static member</em> (KIP-345):
   * consumer {@code i} gets {@code group.instance.id = <instanceId>-<i>}, and in exactly-once mode
   * the transactional ids start with it unless {@link ExactlyOnce#transactionalIdPrefix()} is set.
   *
   * <p>What it buys: a restarted instance (after a crash, a kill -9 or a deploy) takes its
   * partitions back as soon as it rejoins, without a rebalance of the group, instead of waiting
   * for the dead member's {@code session.timeout.ms} (45 s by default) and then a rebalance in which
   * every member stops; its restarted exactly-once producers also abort the dead one's open
   * transaction at once. The trade-off: the partitions of a static member that is down and does
   * <em>not</em> come back stay unprocessed until its session times out, since nobody else takes
   * them before, and a static member's close does not leave the group either. So set {@code
   * session.timeout.ms} (a raw Kafka property) to how long a restart may take: the default 45 s
   * suits restarts that take seconds. Without an instance id (the default), members are dynamic.
   */
  public ProcessorOptions<K, V> withInstanceId(String instanceId) {
    return with(c -> c.instanceId = instanceId);
  }

  /** Every setting, with the secrets among the raw Kafka properties redacted. */
  @Override
  public String toString() {
    return "ProcessorOptions[cluster=" + v.cluster + ", groupId=" + v.groupId
        + ", topics=" + v.topics + ", topicPattern=" + v.topicPattern + ", ordering=" + v.ordering
        + ", maxInFlight=" + v.maxInFlight + ", maxInFlightPerPartition=" + v.maxInFlightPerPartition
        + ", maxBufferedBytes=" + v.maxBufferedBytes + ", commitStrategy=" + v.commitStrategy
        + ", commitInterval=" + v.commitInterval + ", shutdownTimeout=" + v.shutdownTimeout
        + ", rebalanceTimeout=" + v.rebalanceTimeout + ", consumers=" + v.consumers
        + ", kafkaProperties=" + Redaction.redact(v.kafkaProperties)
        + ", failureHandler=" + v.failureHandler + ", notBefore=" + (v.notBefore != null)
        + ", metrics=" + v.metrics + ", tracing=" + v.tracing + ", shutdownHook=" + v.shutdownHook
        + ", publisherPrefetch=" + v.publisherPrefetch + ", offsetMetadataMaxChars=" + v.offsetMetadataMaxChars
        + ", exactlyOnce=" + v.exactlyOnce + ", producerProperties=" + Redaction.redact(v.producerProperties)
        + ", blockingHandlers=" + v.blockingHandlers + ", connectionTimeout=" + v.connectionTimeout
        + ", failFastConnect=" + v.failFastConnect + ", stallAlarmAfter=" + v.stallAlarmAfter + ", instanceId=" + v.instanceId + "]";
  }
}
