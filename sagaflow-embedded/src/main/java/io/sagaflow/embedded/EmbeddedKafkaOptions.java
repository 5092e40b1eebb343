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
 * @param security secured listeners beside the plaintext one ({@link BrokerSecurity#none()} by
 *     default); see {@link #withSaslPlainUser}, {@link #withScramUser}, {@link #withOAuthBearer()}
 *     and {@link #withTls()}
 */
public record EmbeddedKafkaOptions(
    int port,
    int brokers,
    Path dataDir,
    boolean keepDataDir,
    boolean autoCreateTopics,
    int defaultPartitions,
    Map<String, String> brokerProperties,
    BrokerSecurity security) {

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
    Objects.requireNonNull(security, "security (BrokerSecurity.none() for plaintext only)");
  }

  /** One broker on free ports, a temporary data directory, auto-created topics with 6 partitions. */
  public static EmbeddedKafkaOptions defaults() {
    return new EmbeddedKafkaOptions(0, 1, null, false, true, 6, Map.of(), BrokerSecurity.none());
  }

  public EmbeddedKafkaOptions withPort(int port) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }

  public EmbeddedKafkaOptions withBrokers(int brokers) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }

  /** Keeps the brokers' logs in {@code dataDir}, which is never deleted by {@code close()}. */
  public EmbeddedKafkaOptions withDataDir(Path dataDir) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }

  public EmbeddedKafkaOptions withKeepDataDir(boolean keepDataDir) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }

  public EmbeddedKafkaOptions withAutoCreateTopics(boolean autoCreateTopics) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }

  public EmbeddedKafkaOptions withDefaultPartitions(int defaultPartitions) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }

  /** Adds one raw broker property (for example {@code log.retention.ms}); it wins over defaults. */
  public EmbeddedKafkaOptions withBrokerProperty(String key, String value) {
    Map<String, String> copy = new TreeMap<>(brokerProperties);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, copy, security);
  }

  /**
   * Adds a user that SASL/PLAIN accepts on the {@link ListenerKind#SASL_PLAINTEXT} listener (and
   * {@link ListenerKind#SASL_SSL} with TLS); call again for more users. The plaintext listener
   * stays open. Clients: {@code sasl.mechanism=PLAIN}, {@code sasl.jaas.config=
   * org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";}.
   */
  public EmbeddedKafkaOptions withSaslPlainUser(String user, String password) {
    return withSecurity(security.withPlainUser(user, password));
  }

  /**
   * Adds a user with SCRAM-SHA-256 and SCRAM-SHA-512 credentials, stored in the cluster before
   * {@link EmbeddedKafka#start(EmbeddedKafkaOptions)} returns; opens the SASL listeners as
   * {@link #withSaslPlainUser} does. Clients: {@code sasl.mechanism=SCRAM-SHA-256} (or 512),
   * {@code sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required
   * username="u" password="p";}.
   */
  public EmbeddedKafkaOptions withScramUser(String user, String password) {
    return withSecurity(security.withScramUser(user, password));
  }

  /**
   * Enables SASL/OAUTHBEARER on the SASL listeners with Kafka's <em>unsecured</em> JWTs: any
   * well-formed unsigned token is accepted, for tests only. Clients: {@code
   * sasl.mechanism=OAUTHBEARER}, {@code sasl.jaas.config=
   * org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required
   * unsecuredLoginStringClaim_sub="alice";} (the default login callback handler makes the token).
   */
  public EmbeddedKafkaOptions withOAuthBearer() {
    return withSecurity(security.withOAuthBearer(true));
  }

  /**
   * Opens the TLS listeners ({@link ListenerKind#SSL}, {@link ListenerKind#MTLS}, and
   * {@link ListenerKind#SASL_SSL} when SASL is on) with {@link TestCertificates} generated into
   * the data directory at start; clients find them at {@link EmbeddedKafka#certificates()}.
   */
  public EmbeddedKafkaOptions withTls() {
    return withSecurity(security.withTls());
  }

  /** As {@link #withTls()}, with certificates the caller generated (and can hand to clients). */
  public EmbeddedKafkaOptions withTls(TestCertificates certificates) {
    return withSecurity(security.withTls(certificates));
  }

  /** Replaces every security setting at once. */
  public EmbeddedKafkaOptions withSecurity(BrokerSecurity security) {
    return new EmbeddedKafkaOptions(
        port, brokers, dataDir, keepDataDir, autoCreateTopics, defaultPartitions, brokerProperties, security);
  }
}
