package io.sagaflow.embedded;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Immutable settings for {@link EmbeddedKafka}. Start from {@link #defaults()} and change what you
 * need with the {@code withX} methods; every value is validated when the record is built.
 *
 * <pre>{@code
 * EmbeddedKafkaOptions options = EmbeddedKafkaOptions.defaults()
 *     .withBrokers(3)
 *     .withDefaultPartitions(6)
 *     .withBrokerProperty("log.retention.ms", "600000");
 * }</pre>
 *
 * @param port first broker listener port, or 0 to pick free ports (broker {@code i} of a
 *     3-broker cluster listens on {@code port + i - 1} when a port is given)
 * @param brokers number of brokers: 1 (combined broker and controller) or 3 (plus one controller)
 * @param dataDir where the brokers keep their logs, or {@code null} for a new temporary directory
 * @param keepDataDir keep the data directory on {@link EmbeddedKafka#close()}; a given
 *     {@code dataDir} is always kept, only a temporary one is deleted
 * @param autoCreateTopics whether producing to or fetching from an unknown topic creates it
 * @param defaultPartitions partition count of auto-created topics ({@code num.partitions})
 * @param brokerProperties raw broker properties applied last, overriding the defaults
 * @param saslUsers users and passwords for an extra SASL/PLAIN listener; empty for none
 */
public record EmbeddedKafkaOptions(
    int port,
    int brokers,
    Path dataDir,
    boolean keepDataDir,
    boolean autoCreateTopics,
    int defaultPartitions,
    Map<String, String> brokerProperties,
    Map<String, String> saslUsers) {

  /** Validates every value and copies the property map. */
  public EmbeddedKafkaOptions {
    if (port < 0 || port > 65535 - 3) {
      throw new IllegalArgumentException(
          "port (" + port + ") must be 0 (pick free ports) or between 1 and 65532");
    }
    if (brokers != 1 && brokers != 3) {
      throw new IllegalArgumentException(
          "brokers (" + brokers + ") must be 1 or 3: one combined node, or three brokers and a controller");
    }
    if (defaultPartitions < 1) {
      throw new IllegalArgumentException(
          "defaultPartitions (" + defaultPartitions + ") must be at least 1");
    }
    Objects.requireNonNull(brokerProperties, "brokerProperties");
    brokerProperties = Map.copyOf(new TreeMap<>(brokerProperties));
    Objects.requireNonNull(saslUsers, "saslUsers");
    saslUsers.forEach((user, password) -> {
      if (user.isBlank() || !user.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            "SASL user name '" + user + "' must be letters, digits, '_', '.' or '-'");
      }
      if (password.contains("\"") || password.contains("\\")) {
        throw new IllegalArgumentException("the SASL password of " + user
            + " must not contain quotes or backslashes (they would break the JAAS configuration)");
      }
    });
    saslUsers = Map.copyOf(new TreeMap<>(saslUsers));
  }

  /** One broker on free ports, a temporary data directory, auto-created topics with 6 partitions. */
  public static EmbeddedKafkaOptions defaults() {
    return new EmbeddedKafkaOptions(0, 1, null, false, true, 6, Map.of(), Map.of());
  }

  public EmbeddedKafkaOptions withPort(int port) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, saslUsers);
  }

  public EmbeddedKafkaOptions withBrokers(int brokers) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, saslUsers);
  }

  /** Keeps the brokers' logs in {@code dataDir}, which is never deleted by {@code close()}. */
  public EmbeddedKafkaOptions withDataDir(Path dataDir) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, saslUsers);
  }

  public EmbeddedKafkaOptions withKeepDataDir(boolean keepDataDir) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, saslUsers);
  }

  public EmbeddedKafkaOptions withAutoCreateTopics(boolean autoCreateTopics) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, saslUsers);
  }

  public EmbeddedKafkaOptions withDefaultPartitions(int defaultPartitions) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, saslUsers);
  }

  /** Adds one raw broker property (for example {@code log.retention.ms}); it wins over defaults. */
  public EmbeddedKafkaOptions withBrokerProperty(String key, String value) {
    Map<String, String> copy = new TreeMap<>(brokerProperties);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, copy, saslUsers);
  }

  /**
   * Adds a SASL/PLAIN listener (on its own port, see {@link EmbeddedKafka#saslBootstrapServers()})
   * that accepts this user; call again for more users. The plaintext listener stays open.
   */
  public EmbeddedKafkaOptions withSaslPlainUser(String user, String password) {
    Map<String, String> copy = new TreeMap<>(saslUsers);
    copy.put(Objects.requireNonNull(user, "user"), Objects.requireNonNull(password, "password"));
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, copy);
  }
}
