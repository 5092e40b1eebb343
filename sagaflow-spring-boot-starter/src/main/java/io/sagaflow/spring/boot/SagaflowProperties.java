package io.sagaflow.spring.boot;

import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.Ordering;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The sagaflow.* properties. Every setting left unset keeps the default of the Sagaflow
 * option it maps to (named in its description), so these records add no defaults of their own.
 *
 * <pre>
 * sagaflow:
 *   clusters:
 *     main:
 *       bootstrap-servers: kafka-1:9093,kafka-2:9093
 *       sasl: { mechanism: SCRAM-SHA-512, username: svc-orders, password: ${ORDERS_KAFKA_PASSWORD} }
 *       tls: { trust-store: /etc/kafka/truststore.p12, trust-store-password: ${TRUSTSTORE_PASSWORD} }
 *   processor:
 *     group-id: billing
 *     max-in-flight: 5000
 *   recovery:
 *     retry: { in-place-attempts: 5, retry-topic-delays: 10s,1m }
 *     policies:
 *       fail-fast: { in-place-attempts: 1, retry-topic-delays: "" }
 * </pre>
 *
 * @param enabled whether Sagaflow's auto-configuration is on
 * @param cluster the cluster that listeners, recovery and sagas use when they name none; unset: the
 *     only cluster configured, else the one named default
 * @param clusters the Kafka clusters by name (the name appears in errors and client ids)
 * @param processor defaults of every @SagaflowListener processor
 * @param recovery the recovery pipeline of listeners: retries in place, retry topics, dead letters
 * @param saga the saga runtime and its saga consumers
 */
@ConfigurationProperties("sagaflow")
public record SagaflowProperties(
    @DefaultValue("true") boolean enabled,
    String cluster,
    Map<String, Cluster> clusters,
    @DefaultValue Processor processor,
    @DefaultValue Recovery recovery,
    @DefaultValue Saga saga) {

  /** Normalizes absent maps to empty ones. */
  public SagaflowProperties {
    clusters = clusters == null ? Map.of() : Map.copyOf(clusters);
  }

  /**
   * One Kafka cluster: io.sagaflow.kafka.ClusterOptions.
   *
   * @param bootstrapServers comma-separated host:port list
   * @param sasl SASL authentication, if any
   * @param tls TLS, if any
   * @param security raw security client properties (security.protocol, sasl.*,
   *     ssl.*) for what the typed settings do not cover
   * @param properties other client properties for every client of this cluster
   */
  public record Cluster(String bootstrapServers, Sasl sasl, Tls tls, Map<String, String> security,
      Map<String, String> properties) {
    /** Normalizes absent maps to empty ones. */
    public Cluster {
      security = security == null ? Map.of() : Map.copyOf(security);
      properties = properties == null ? Map.of() : Map.copyOf(properties);
    }
  }

  /**
   * SASL authentication: io.sagaflow.kafka.Sasl.
   *
   * @param mechanism PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER
   * @param username the user (not for OAUTHBEARER)
   * @param password the password (not for OAUTHBEARER)
   * @param properties OAUTHBEARER settings, passed as they are (sasl.jaas.config,
   *     sasl.login.callback.handler.class, ...)
   */
  public record Sasl(String mechanism, String username, String password, Map<String, String> properties) {
    /** Normalizes an absent map to an empty one. */
    public Sasl {
      properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    @Override
    public String toString() {
      return "Sasl[mechanism=" + mechanism + ", username=" + username + ", password=(redacted)]";
    }
  }

  /**
   * TLS: io.sagaflow.kafka.Tls. Without a truststore the JVM's trusted certificates verify
   * the brokers; a keystore adds the client's own certificate (mutual TLS).
   *
   * @param enabled TLS with no other setting (the JVM's trusted certificates); any store turns it on too
   * @param trustStore the truststore file (PKCS12, or JKS when it ends in .jks)
   * @param trustStorePassword the truststore's password
   * @param keyStore the keystore file with the client's key and certificate (mutual TLS)
   * @param keyStorePassword the keystore's password
   * @param keyPassword the key's password
   */
  public record Tls(boolean enabled, Path trustStore, String trustStorePassword, Path keyStore,
      String keyStorePassword, String keyPassword) {
    @Override
    public String toString() {
      return "Tls[enabled=" + enabled + ", trustStore=" + trustStore + ", keyStore=" + keyStore + ", passwords=(redacted)]";
    }
  }

  /**
   * Defaults of every listener's io.sagaflow.processor.ProcessorOptions; a listener's own
   * annotation attributes win.
   *
   * @param groupId the consumer group of listeners that name none; unset: spring.application.name
   * @param ordering KEY (default), PARTITION or UNORDERED
   * @param maxInFlight records handled at once, over all partitions (default 1000)
   * @param maxInFlightPerPartition records handled at once per partition (default 1000)
   * @param maxBufferedBytes bytes of records fetched and not finished (default 64MB)
   * @param commitStrategy PERIODIC_ASYNC (default), SYNC_PER_BATCH, MANUAL, NONE or AT_MOST_ONCE
   * @param commitInterval period of periodic commits (default 1s)
   * @param shutdownTimeout how long a close drains in-flight records (default 30s); the drain on
   *     context close is also bounded by spring.lifecycle.timeout-per-shutdown-phase
   * @param rebalanceTimeout how long a revoke waits for the revoked partitions' work (default 10s)
   * @param consumers KafkaConsumers per listener, each with its own poll thread (default 1)
   * @param blockingHandlers whether handlers mostly wait rather than compute (default false)
   * @param connectionTimeout how long no broker may answer before health is DOWN (default 30s)
   * @param failFastConnect whether the context fails to start when the cluster cannot be reached
   *     within the connection timeout (default false)
   * @param stallAlarmAfter how long a record may keep failing in place before health is DOWN (default 5m)
   * @param instanceId a stable id of this instance (pod name): static group membership; each listener's
   *     processor joins as {@code <instance-id>-<listener id>} (its retry processor with -retries appended)
   * @param exactlyOnce consume, produce and commit in Kafka transactions (default false)
   * @param properties raw Kafka consumer properties
   * @param producerProperties raw properties of the producer behind record.send(...)
   */
  public record Processor(String groupId, Ordering ordering, Integer maxInFlight, Integer maxInFlightPerPartition,
      DataSize maxBufferedBytes, CommitStrategy commitStrategy, Duration commitInterval, Duration shutdownTimeout,
      Duration rebalanceTimeout, Integer consumers, Boolean blockingHandlers, Duration connectionTimeout,
      Boolean failFastConnect, Duration stallAlarmAfter, String instanceId, Boolean exactlyOnce,
      Map<String, String> properties, Map<String, String> producerProperties) {
    /** Normalizes absent maps to empty ones. */
    public Processor {
      properties = properties == null ? Map.of() : Map.copyOf(properties);
      producerProperties = producerProperties == null ? Map.of() : Map.copyOf(producerProperties);
    }
  }

  /**
   * The recovery pipeline (io.sagaflow.recovery.RecoveryOptions) of every listener.
   *
   * @param enabled whether failed records go through recovery; off, a failed record is retried in
   *     place until it succeeds (the processor's default) and never dead-lettered (default true)
   * @param retry the default retry policy
   * @param policies named retry policies for @SagaflowListener(retry = "name"); a setting a
   *     named policy leaves unset is taken from retry
   * @param createTopics create missing retry and dead-letter topics (default true)
   * @param publishTimeout how long one retry or dead-letter write may take (default 30s)
   * @param maxStackTraceBytes cap of the stack trace header of dead letters (default 2048)
   * @param producerProperties raw properties of the recovery producer
   */
  public record Recovery(@DefaultValue("true") boolean enabled, @DefaultValue Retry retry, Map<String, Retry> policies,
      Boolean createTopics, Duration publishTimeout, Integer maxStackTraceBytes,
      Map<String, String> producerProperties) {
    /** Normalizes absent maps to empty ones. */
    public Recovery {
      policies = policies == null ? Map.of() : Map.copyOf(policies);
      producerProperties = producerProperties == null ? Map.of() : Map.copyOf(producerProperties);
    }
  }

  /**
   * A retry policy: io.sagaflow.recovery.RetryPolicy.
   *
   * @param inPlaceAttempts attempts per delivery before the record leaves its partition (default 3)
   * @param initialBackoff delay after the first failed attempt (default 100ms)
   * @param multiplier growth of the delay per attempt (default 2)
   * @param maxBackoff cap of the delay (default 5s)
   * @param jitter fraction of random reduction of each delay, 0 to 1 (default 0.2)
   * @param retryTopicDelays delays of the retry topics, in order (default 1s,10s,1m); an empty
   *     value means no retry topics: straight to the dead-letter topic after the in-place attempts
   * @param deadLetterSuffix the dead-letter topic of T is T + suffix (default -dlt)
   */
  public record Retry(Integer inPlaceAttempts, Duration initialBackoff, Double multiplier, Duration maxBackoff,
      Double jitter, List<Duration> retryTopicDelays, String deadLetterSuffix) {}

  /**
   * The saga runtime: io.sagaflow.saga.SagaOptions, and the saga consumers of
   * SagaConsumerDefinition beans.
   *
   * @param cluster the cluster of the runtime; unset: sagaflow.cluster
   * @param sagaTimeout how long a saga run may take before it is cancelled (default 10m)
   * @param followTimeout how long opening a channel may wait for the reply consumer (default 30s)
   * @param channelCapacity buffer of channels opened without one (default 1024)
   * @param strictPayloads fail payloads with fields their type does not declare (default false)
   * @param createTopics create the topics of puts, takes, channels and saga consumers when missing
   *     (default false: they must exist)
   * @param topicPartitions partitions of topics created that way (default: the broker's)
   * @param topicReplicationFactor replication factor of topics created that way (default: the broker's)
   * @param properties raw client properties of the put producer and the reply consumer
   */
  public record Saga(String cluster, Duration sagaTimeout, Duration followTimeout, Integer channelCapacity,
      Boolean strictPayloads, Boolean createTopics, Integer topicPartitions, Short topicReplicationFactor,
      Map<String, String> properties) {
    /** Normalizes an absent map to an empty one. */
    public Saga {
      properties = properties == null ? Map.of() : Map.copyOf(properties);
    }
  }
}
