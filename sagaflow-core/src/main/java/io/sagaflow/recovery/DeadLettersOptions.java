package io.sagaflow.recovery;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of {@link DeadLetters}.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param clientProperties raw client properties (security, timeouts) passed to the consumer,
 *     producer and admin client, each getting the keys it knows
 * @param timeout bound of each blocking Kafka call (metadata, end offsets, topic creation)
 * @param listener metrics hooks ({@link RecoveryListener#onReplayed})
 */
public record DeadLettersOptions(String bootstrapServers, Map<String, Object> clientProperties, Duration timeout,
    RecoveryListener listener) {

  public DeadLettersOptions {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must be set, for example \"localhost:9092\"");
    }
    clientProperties = Map.copyOf(new TreeMap<>(Objects.requireNonNull(clientProperties, "clientProperties")));
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
    }
    Objects.requireNonNull(listener, "listener");
  }

  public static DeadLettersOptions of(String bootstrapServers) {
    return new DeadLettersOptions(bootstrapServers, Map.of(), Duration.ofSeconds(30), new RecoveryListener() {});
  }

  public DeadLettersOptions withClientProperties(Map<String, Object> clientProperties) {
    return new DeadLettersOptions(bootstrapServers, clientProperties, timeout, listener);
  }

  public DeadLettersOptions withTimeout(Duration timeout) {
    return new DeadLettersOptions(bootstrapServers, clientProperties, timeout, listener);
  }

  public DeadLettersOptions withListener(RecoveryListener listener) {
    return new DeadLettersOptions(bootstrapServers, clientProperties, timeout, listener);
  }
}
