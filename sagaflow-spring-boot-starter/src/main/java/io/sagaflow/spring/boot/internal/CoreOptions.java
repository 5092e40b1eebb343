package io.sagaflow.spring.boot.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.Sasl;
import io.sagaflow.kafka.Tls;
import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.recovery.RecoveryListener;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.spring.boot.SagaflowProperties;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Maps the {@code sagaflow.*} properties onto Sagaflow's own options. A property left unset leaves
 * the option's default alone, so the defaults live in one place: the core's options.
 */
public final class CoreOptions {
  private CoreOptions() {}

  /** The options of cluster {@code name}; the core validates them and names the cluster in errors. */
  public static ClusterOptions cluster(String name, SagaflowProperties.Cluster c) {
    if (c.bootstrapServers() == null || c.bootstrapServers().isBlank()) {
      throw new IllegalArgumentException("set sagaflow.clusters." + name + ".bootstrap-servers=host:port[,host:port...]");
    }
    ClusterOptions options = ClusterOptions.of(name, c.bootstrapServers());
    if (c.sasl() != null) {
      options = options.withSasl(sasl(name, c.sasl()));
    }
    Tls tls = tls(c.tls());
    if (tls != null) {
      options = options.withTls(tls);
    }
    if (!c.security().isEmpty()) {
      options = options.withSecurity(c.security());
    }
    for (Map.Entry<String, String> e : c.properties().entrySet()) {
      options = options.withClientOverride(e.getKey(), e.getValue());
    }
    return options;
  }

  private static Sasl sasl(String cluster, SagaflowProperties.Sasl s) {
    String mechanism = s.mechanism() == null ? "" : s.mechanism().trim().toUpperCase(Locale.ROOT).replace('_', '-');
    return switch (mechanism) {
      case "PLAIN" -> Sasl.plain(s.username(), s.password());
      case "SCRAM-SHA-256" -> Sasl.scramSha256(s.username(), s.password());
      case "SCRAM-SHA-512" -> Sasl.scramSha512(s.username(), s.password());
      case "OAUTHBEARER" -> Sasl.oauthBearer(s.properties());
      default -> throw new IllegalArgumentException("sagaflow.clusters." + cluster + ".sasl.mechanism ('"
          + s.mechanism() + "') must be PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");
    };
  }

  private static Tls tls(SagaflowProperties.Tls t) {
    if (t == null || (!t.enabled() && t.trustStore() == null && t.keyStore() == null)) {
      return null;
    }
    Tls tls = t.trustStore() == null ? Tls.systemTrust()
        : Tls.trustStore(t.trustStore(), t.trustStorePassword() == null ? "" : t.trustStorePassword());
    if (t.keyStore() != null) {
      tls = tls.withKeyStore(t.keyStore(), orEmpty(t.keyStorePassword()),
          t.keyPassword() != null ? t.keyPassword() : orEmpty(t.keyStorePassword()));
    }
    return tls;
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** {@code options} with the processor defaults of the properties applied. */
  public static <K, V> ProcessorOptions<K, V> processor(ProcessorOptions<K, V> options, SagaflowProperties.Processor p) {
    options = set(options, p.ordering(), ProcessorOptions::withOrdering);
    options = set(options, p.maxInFlight(), ProcessorOptions::withMaxInFlight);
    options = set(options, p.maxInFlightPerPartition(), ProcessorOptions::withMaxInFlightPerPartition);
    options = set(options, p.maxBufferedBytes() == null ? null : p.maxBufferedBytes().toBytes(),
        ProcessorOptions::withMaxBufferedBytes);
    options = set(options, p.commitStrategy(), ProcessorOptions::withCommitStrategy);
    options = set(options, p.commitInterval(), ProcessorOptions::withCommitInterval);
    options = set(options, p.shutdownTimeout(), ProcessorOptions::withShutdownTimeout);
    options = set(options, p.rebalanceTimeout(), ProcessorOptions::withRebalanceTimeout);
    options = set(options, p.consumers(), ProcessorOptions::withConsumers);
    options = set(options, p.blockingHandlers(), ProcessorOptions::withBlockingHandlers);
    options = set(options, p.connectionTimeout(), ProcessorOptions::withConnectionTimeout);
    options = set(options, p.failFastConnect(), ProcessorOptions::withFailFastConnect);
    options = set(options, p.stallAlarmAfter(), ProcessorOptions::withStallAlarmAfter);
    options = set(options, p.instanceId(), ProcessorOptions::withInstanceId);
    if (Boolean.TRUE.equals(p.exactlyOnce())) {
      options = options.withExactlyOnce(ExactlyOnce.defaults());
    }
    if (!p.properties().isEmpty()) {
      options = options.withKafkaProperties(p.properties());
    }
    if (!p.producerProperties().isEmpty()) {
      options = options.withProducerProperties(p.producerProperties());
    }
    return options;
  }

  /**
   * The retry policy of {@code r}; what {@code r} leaves unset comes from {@code fallback} (the default
   * policy's properties, or null), then from {@link RetryPolicy#defaults()}.
   */
  public static RetryPolicy retryPolicy(SagaflowProperties.Retry r, SagaflowProperties.Retry fallback) {
    RetryPolicy policy = fallback == null ? RetryPolicy.defaults() : retryPolicy(fallback, null);
    if (r == null) {
      return policy;
    }
    policy = set(policy, r.inPlaceAttempts(), RetryPolicy::withInPlaceAttempts);
    policy = set(policy, r.initialBackoff(), RetryPolicy::withInitialBackoff);
    policy = set(policy, r.multiplier(), RetryPolicy::withMultiplier);
    policy = set(policy, r.maxBackoff(), RetryPolicy::withMaxBackoff);
    policy = set(policy, r.jitter(), RetryPolicy::withJitter);
    policy = set(policy, r.retryTopicDelays(), RetryPolicy::withRetryTopicDelays);
    if (r.deadLetterSuffix() != null) {
      String suffix = r.deadLetterSuffix();
      policy = policy.withDeadLetterTopicNaming(topic -> topic + suffix);
    }
    return policy;
  }

  /** The recovery options of a listener's group. */
  public static RecoveryOptions recovery(ClusterOptions cluster, String groupId, RetryPolicy policy,
      SagaflowProperties.Recovery r, RecoveryListener listener) {
    RecoveryOptions options = RecoveryOptions.of(cluster, groupId).withPolicy(policy).withListener(listener);
    options = set(options, r.createTopics(), RecoveryOptions::withCreateTopics);
    options = set(options, r.publishTimeout(), RecoveryOptions::withPublishTimeout);
    options = set(options, r.maxStackTraceBytes(), RecoveryOptions::withMaxStackTraceBytes);
    if (!r.producerProperties().isEmpty()) {
      options = options.withProducerProperties(new HashMap<>(r.producerProperties()));
    }
    return options;
  }

  /** The saga runtime's options on {@code cluster}, without a topic administrator. */
  public static SagaOptions saga(ClusterOptions cluster, SagaflowProperties.Saga s) {
    SagaOptions options = SagaOptions.defaults().withCluster(cluster);
    options = set(options, s.sagaTimeout(), SagaOptions::withSagaTimeout);
    options = set(options, s.followTimeout(), SagaOptions::withFollowTimeout);
    options = set(options, s.channelCapacity(), SagaOptions::withChannelCapacity);
    if (Boolean.TRUE.equals(s.strictPayloads())) {
      options = options.withStrictPayloads();
    }
    if (!s.properties().isEmpty()) {
      options = options.withKafkaProperties(new HashMap<>(s.properties()));
    }
    return options;
  }

  private static <O, T> O set(O options, T value, Setter<O, T> setter) {
    return value == null ? options : setter.apply(options, value);
  }

  @FunctionalInterface
  private interface Setter<O, T> {
    O apply(O options, T value);
  }
}
