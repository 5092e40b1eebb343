package io.sagaflow.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.sagaflow.kafka.internal.Redaction;

/**
 * SASL authentication of the clients of one cluster: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, or
 * OAUTHBEARER with its settings passed through. Immutable; {@link #toString()} names the mechanism
 * and the user, never the password or the JAAS configuration.
 *
 * <pre>{@code
 * ClusterOptions.of("orders", "kafka-1:9093")
 *     .withSasl(Sasl.scramSha512("svc-orders", System.getenv("ORDERS_KAFKA_PASSWORD")))
 *     .withTls(Tls.trustStore(Path.of("/etc/kafka/truststore.p12"), trustStorePassword));
 * }</pre>
 */
public final class Sasl {
  private final String mechanism;
  private final String user;
  private final String password;
  private final Map<String, String> settings;

  private Sasl(String mechanism, String user, String password, Map<String, String> settings) {
    this.mechanism = mechanism;
    this.user = user;
    this.password = password;
    this.settings = settings;
  }

  /** SASL/PLAIN with this user and password (use it over TLS: PLAIN sends the password as is). */
  public static Sasl plain(String user, String password) {
    return userPassword("PLAIN", user, password);
  }

  /** SASL/SCRAM-SHA-256 with this user and password. */
  public static Sasl scramSha256(String user, String password) {
    return userPassword("SCRAM-SHA-256", user, password);
  }

  /** SASL/SCRAM-SHA-512 with this user and password. */
  public static Sasl scramSha512(String user, String password) {
    return userPassword("SCRAM-SHA-512", user, password);
  }

  /**
   * SASL/OAUTHBEARER. {@code settings} are client properties passed as they are, for example
   * {@code sasl.jaas.config}, {@code sasl.login.callback.handler.class} and {@code
   * sasl.oauthbearer.token.endpoint.url}; {@code sasl.mechanism} is set to {@code OAUTHBEARER}.
   *
   * @throws IllegalArgumentException when {@code sasl.jaas.config} is missing or a key sets
   *     {@code sasl.mechanism} or {@code security.protocol} (both are derived)
   */
  public static Sasl oauthBearer(Map<String, String> settings) {
    Objects.requireNonNull(settings, "settings");
    for (String owned : new String[] {"sasl.mechanism", "security.protocol"}) {
      if (settings.containsKey(owned)) {
        throw new IllegalArgumentException("OAUTHBEARER settings must not set " + owned
            + ": it is derived from withSasl/withTls");
      }
    }
    if (!settings.containsKey("sasl.jaas.config")) {
      throw new IllegalArgumentException("OAUTHBEARER settings need sasl.jaas.config, for example "
          + "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;");
    }
    return new Sasl("OAUTHBEARER", null, null, Map.copyOf(settings));
  }

  private static Sasl userPassword(String mechanism, String user, String password) {
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("SASL " + mechanism + " user must not be empty");
    }
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("SASL " + mechanism + " password of user " + user
          + " must not be empty");
    }
    if (user.contains("\"") || user.contains("\\") || password.contains("\"") || password.contains("\\")) {
      throw new IllegalArgumentException("SASL " + mechanism + " user and password must not contain"
          + " double quotes or backslashes (they cannot be written into the JAAS configuration);"
          + " use ClusterOptions.withSecurity(...) with your own sasl.jaas.config");
    }
    return new Sasl(mechanism, user, password, Map.of());
  }

  /** {@code PLAIN}, {@code SCRAM-SHA-256}, {@code SCRAM-SHA-512} or {@code OAUTHBEARER}. */
  public String mechanism() {
    return mechanism;
  }

  /** The user, or {@code null} for OAUTHBEARER. */
  public String user() {
    return user;
  }

  /** The client properties this authentication stands for ({@code sasl.*}; secrets included). */
  Map<String, String> clientProperties() {
    Map<String, String> p = new LinkedHashMap<>(settings);
    p.put("sasl.mechanism", mechanism);
    if (user != null) {
      String module = mechanism.equals("PLAIN")
          ? "org.apache.kafka.common.security.plain.PlainLoginModule"
          : "org.apache.kafka.common.security.scram.ScramLoginModule";
      p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
    }
    return p;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sasl s && mechanism.equals(s.mechanism) && Objects.equals(user, s.user)
        && Objects.equals(password, s.password) && settings.equals(s.settings);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mechanism, user, password, settings);
  }

  /** The mechanism and user; the password and every secret setting are redacted. */
  @Override
  public String toString() {
    return user != null
        ? "Sasl[" + mechanism + ", user=" + user + ", password=" + Redaction.REDACTED + "]"
        : "Sasl[" + mechanism + ", settings=" + Redaction.redact(settings) + "]";
  }
}
