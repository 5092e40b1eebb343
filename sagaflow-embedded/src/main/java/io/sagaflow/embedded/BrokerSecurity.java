package io.sagaflow.embedded;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which secured listeners an {@link EmbeddedKafka} broker opens beside its plaintext one, and who
 * may log in to them. Immutable; {@link #none()} (the default) opens none, so a plain broker starts
 * as fast as ever. Usually set through {@link EmbeddedKafkaOptions}'s {@code withSaslPlainUser},
 * {@code withScramUser}, {@code withOAuthBearer} and {@code withTls}.
 *
 * <ul>
 *   <li>Any SASL user, or OAUTHBEARER, opens {@link ListenerKind#SASL_PLAINTEXT} with the
 *       mechanisms asked for: {@code PLAIN} for {@code plainUsers}, {@code SCRAM-SHA-256} and
 *       {@code SCRAM-SHA-512} for {@code scramUsers} (their credentials are stored in the cluster
 *       once it runs), {@code OAUTHBEARER} with Kafka's <em>unsecured</em> JWTs (for tests only: any
 *       well-formed unsigned token is accepted; clients use the default
 *       {@code OAuthBearerUnsecuredLoginCallbackHandler} with
 *       {@code unsecuredLoginStringClaim_sub="name"} in their JAAS configuration).
 *   <li>TLS opens {@link ListenerKind#SSL} and {@link ListenerKind#MTLS} (client certificate
 *       required), and {@link ListenerKind#SASL_SSL} too when SASL is on. Its certificates are
 *       {@code certificates}, or, when that is {@code null}, new {@link TestCertificates} generated
 *       into the broker's data directory at start ({@link EmbeddedKafka#certificates()}).
 * </ul>
 *
 * @param plainUsers users and passwords accepted by SASL/PLAIN
 * @param scramUsers users and passwords given SCRAM-SHA-256 and SCRAM-SHA-512 credentials
 * @param oauthBearer whether SASL/OAUTHBEARER (unsecured JWT) is enabled
 * @param tls whether the TLS listeners open
 * @param certificates the broker's certificates for TLS, or {@code null} to generate them
 */
public record BrokerSecurity(
    Map<String, String> plainUsers,
    Map<String, String> scramUsers,
    boolean oauthBearer,
    boolean tls,
    TestCertificates certificates) {

  /** SASL mechanism names, as clients set them in {@code sasl.mechanism}. */
  static final String PLAIN = "PLAIN";
  static final String SCRAM_SHA_256 = "SCRAM-SHA-256";
  static final String SCRAM_SHA_512 = "SCRAM-SHA-512";
  static final String OAUTHBEARER = "OAUTHBEARER";

  /** Validates users and passwords and copies the maps. */
  public BrokerSecurity {
    plainUsers = checkedUsers(plainUsers, "SASL/PLAIN");
    scramUsers = checkedUsers(scramUsers, "SCRAM");
    if (certificates != null && !tls) {
      throw new IllegalArgumentException(
          "certificates are given but tls is off: pass tls=true, or use withTls(certificates)");
    }
  }

  private static Map<String, String> checkedUsers(Map<String, String> users, String what) {
    Objects.requireNonNull(users, what + " users");
    users.forEach((user, password) -> {
      Objects.requireNonNull(user, what + " user");
      Objects.requireNonNull(password, what + " password of " + user);
      if (!user.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            what + " user name '" + user + "' must be letters, digits, '_', '.' or '-'");
      }
      if (password.isEmpty() || password.contains("\"") || password.contains("\\")) {
        throw new IllegalArgumentException("the " + what + " password of " + user
            + " must be non-empty, without quotes or backslashes (they would break a JAAS configuration)");
      }
    });
    return Map.copyOf(new TreeMap<>(users));
  }

  /** No secured listener: the broker serves plaintext only. */
  public static BrokerSecurity none() {
    return new BrokerSecurity(Map.of(), Map.of(), false, false, null);
  }

  /** Adds a user that SASL/PLAIN accepts; call again for more users. */
  public BrokerSecurity withPlainUser(String user, String password) {
    Map<String, String> copy = new TreeMap<>(plainUsers);
    copy.put(user, password);
    return new BrokerSecurity(copy, scramUsers, oauthBearer, tls, certificates);
  }

  /** Adds a user with SCRAM-SHA-256 and SCRAM-SHA-512 credentials; call again for more users. */
  public BrokerSecurity withScramUser(String user, String password) {
    Map<String, String> copy = new TreeMap<>(scramUsers);
    copy.put(user, password);
    return new BrokerSecurity(plainUsers, copy, oauthBearer, tls, certificates);
  }

  /** Enables SASL/OAUTHBEARER with Kafka's unsecured (unsigned, test-only) JWTs. */
  public BrokerSecurity withOAuthBearer(boolean enabled) {
    return new BrokerSecurity(plainUsers, scramUsers, enabled, tls, certificates);
  }

  /** Opens the TLS listeners with certificates generated at start. */
  public BrokerSecurity withTls() {
    return new BrokerSecurity(plainUsers, scramUsers, oauthBearer, true, null);
  }

  /** Opens the TLS listeners with these certificates (the broker uses their server key store). */
  public BrokerSecurity withTls(TestCertificates certificates) {
    return new BrokerSecurity(plainUsers, scramUsers, oauthBearer, true,
        Objects.requireNonNull(certificates, "certificates"));
  }

  /** Whether any SASL mechanism is enabled. */
  public boolean sasl() {
    return !plainUsers.isEmpty() || !scramUsers.isEmpty() || oauthBearer;
  }

  /** The listeners besides {@link ListenerKind#PLAINTEXT} that these settings open, in port order. */
  public Set<ListenerKind> listeners() {
    Set<ListenerKind> kinds = EnumSet.noneOf(ListenerKind.class);
    if (sasl()) {
      kinds.add(ListenerKind.SASL_PLAINTEXT);
    }
    if (tls) {
      kinds.add(ListenerKind.SSL);
      kinds.add(ListenerKind.MTLS);
      if (sasl()) {
        kinds.add(ListenerKind.SASL_SSL);
      }
    }
    return kinds;
  }

  /** The enabled SASL mechanisms, as clients name them in {@code sasl.mechanism}. */
  public List<String> saslMechanisms() {
    List<String> m = new ArrayList<>();
    if (!plainUsers.isEmpty()) {
      m.add(PLAIN);
    }
    if (!scramUsers.isEmpty()) {
      m.add(SCRAM_SHA_256);
      m.add(SCRAM_SHA_512);
    }
    if (oauthBearer) {
      m.add(OAUTHBEARER);
    }
    return List.copyOf(m);
  }

  /**
   * The broker properties for these listeners (not the {@code listeners} list itself, which needs
   * the ports): protocol map, SASL mechanisms with a JAAS configuration per listener and mechanism,
   * and the SSL stores of {@code certs} ({@code null} without TLS).
   */
  Map<String, String> brokerProperties(TestCertificates certs) {
    Map<String, String> c = new LinkedHashMap<>();
    StringBuilder protocols = new StringBuilder("CONTROLLER:PLAINTEXT");
    for (ListenerKind kind : ListenerKind.values()) {
      protocols.append(',').append(kind.listenerName()).append(':').append(kind.securityProtocol());
    }
    c.put("listener.security.protocol.map", protocols.toString());
    if (sasl()) {
      c.put("sasl.enabled.mechanisms", String.join(",", saslMechanisms()));
      for (ListenerKind kind : listeners()) {
        if (kind.securityProtocol().startsWith("SASL_")) {
          String prefix = "listener.name." + kind.listenerName().toLowerCase(java.util.Locale.ROOT) + ".";
          for (String mechanism : saslMechanisms()) {
            c.put(prefix + mechanism.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                serverJaas(mechanism));
          }
        }
      }
    }
    if (tls) {
      Objects.requireNonNull(certs, "certs");
      c.putAll(certs.brokerSslProperties());
      c.put("listener.name." + ListenerKind.MTLS.listenerName().toLowerCase(java.util.Locale.ROOT)
          + ".ssl.client.auth", "required");
    }
    return c;
  }

  private String serverJaas(String mechanism) {
    return switch (mechanism) {
      case PLAIN -> {
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        plainUsers.forEach((user, password) ->
            jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
        yield jaas.append(';').toString();
      }
      // The credentials live in the cluster metadata (EmbeddedKafka stores them after start).
      case SCRAM_SHA_256, SCRAM_SHA_512 -> "org.apache.kafka.common.security.scram.ScramLoginModule required;";
      // The broker logs in too (an unsecured token of its own); clients' tokens are checked by
      // the default OAuthBearerUnsecuredValidatorCallbackHandler.
      case OAUTHBEARER -> "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
          + " unsecuredLoginStringClaim_sub=\"sagaflow-broker\";";
      default -> throw new IllegalStateException("unknown SASL mechanism " + mechanism);
    };
  }

  /** Names the users and listeners, never a password. */
  @Override
  public String toString() {
    return "BrokerSecurity[plainUsers=" + plainUsers.keySet() + ", scramUsers=" + scramUsers.keySet()
        + ", oauthBearer=" + oauthBearer + ", tls=" + tls
        + (certificates == null ? "" : ", certificates=" + certificates) + "]";
  }
}
