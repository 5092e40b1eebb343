package io.sagaflow.recovery;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.internal.Redaction;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of {@link DeadLetters}.
 *
 * @param cluster the Kafka cluster (bootstrap servers, security) of the dead-letter topics
 * @param clientProperties raw client properties (timeouts, ...) passed over the cluster's to the consumer,
 *     producer and admin client, each getting the keys it knows
 * @param timeout bound of each blocking Kafka call (metadata, end offsets, topic creation)
 * @param listener metrics hooks ({@link RecoveryListener#onReplayed})
 */
public record DeadLettersOptions(ClusterOptions cluster, Map<String, Object> clientProperties, Duration timeout,
    RecoveryListener listener) {

  public DeadLettersOptions {
    Objects.requireNonNull(cluster, "cluster");
    clientProperties = Map.copyOf(new TreeMap<>(Objects.requireNonNull(clientProperties, "clientProperties")));
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
    }
    Objects.requireNonNull(listener, "listener");
  }

  /** Defaults on a plaintext cluster at {@code bootstrapServers} (shortcut for {@code of(ClusterOptions.of(...))}). */
  public static DeadLettersOptions of(String bootstrapServers) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must be set, for example \"localhost:9092\"");
    }
    return of(ClusterOptions.of(bootstrapServers));
  }

  /** Defaults on the cluster of this handle. */
  public static DeadLettersOptions of(KafkaCluster cluster) {
    return of(Objects.requireNonNull(cluster, "cluster").options());
  }

  /** No extra client properties, 30 s per blocking call, on this cluster. */
  public static DeadLettersOptions of(ClusterOptions cluster) {
    return new DeadLettersOptions(cluster, Map.of(), Duration.ofSeconds(30), new RecoveryListener() {});
  }

  /** These options on another cluster. */
  public DeadLettersOptions withCluster(ClusterOptions cluster) {
    return new DeadLettersOptions(cluster, clientProperties, timeout, listener);
  }

  /** The bootstrap servers of {@link #cluster()}. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Every setting, with passwords and other secrets of the client properties redacted. */
  @Override
  public String toString() {
    return "DeadLettersOptions[cluster=" + cluster + ", clientProperties=" + Redaction.redact(clientProperties)
        + ", timeout=" + timeout + ", listener=" + listener + "]";
  }

  public DeadLettersOptions withClientProperties(Map<String, Object> clientProperties) {
    return new DeadLettersOptions(cluster, clientProperties, timeout, listener);
  }

  public DeadLettersOptions withTimeout(Duration timeout) {
    return new DeadLettersOptions(cluster, clientProperties, timeout, listener);
  }

  public DeadLettersOptions withListener(RecoveryListener listener) {
    return new DeadLettersOptions(cluster, clientProperties, timeout, listener);
  }
}
