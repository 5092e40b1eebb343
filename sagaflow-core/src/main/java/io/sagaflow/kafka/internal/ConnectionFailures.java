package io.sagaflow.kafka.internal;

import java.util.Optional;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import io.sagaflow.kafka.ClusterOptions;

/**
 * Turns Kafka's authentication, TLS and authorization errors into one clear failure that names
 * the cluster, its bootstrap servers and the fix, with every secret scrubbed. A Kafka client that
 * cannot authenticate otherwise logs a WARN line per attempt and retries forever; every place that
 * drives a client (poll threads, recovery, sagas, replay, {@code KafkaCluster.verifyReachable})
 * passes its failures through {@link #explain} and stops.
 */
public final class ConnectionFailures {
  private ConnectionFailures() {}

  /** The authentication/TLS/authorization error in {@code error}'s cause chain, if any. */
  public static Optional<RuntimeException> find(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
        return Optional.of((RuntimeException) t);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code error} (or a cause) is an authentication, TLS or authorization failure. */
  public static boolean isConnectionRefused(Throwable error) {
    return find(error).isPresent();
  }

  /**
   * A clear {@link IllegalStateException} for an authentication/TLS/authorization failure in
   * {@code error}'s cause chain (with it as cause), or empty when there is none.
   */
  public static Optional<IllegalStateException> explain(ClusterOptions cluster, Throwable error) {
    return find(error).map(cause -> new IllegalStateException(message(cluster, cause), cause));
  }

  /** {@link #explain} when it applies, else {@code error} itself (wrapped if checked). */
  public static RuntimeException explainOrWrap(ClusterOptions cluster, Throwable error) {
    Optional<IllegalStateException> clear = explain(cluster, error);
    if (clear.isPresent()) {
      return clear.get();
    }
    return error instanceof RuntimeException r ? r : new IllegalStateException(error);
  }

  /** The message: cluster, servers, what failed and what to check; never a secret. */
  public static String message(ClusterOptions cluster, Throwable cause) {
    String where = "cluster " + cluster.name() + " at " + cluster.bootstrapServers()
        + " (security.protocol " + cluster.securityProtocol() + ")";
    String kafka = Redaction.scrub(String.valueOf(cause.getMessage()), cluster.clientProperties());
    if (cause instanceof SslAuthenticationException) {
      String store = cluster.tls() != null && cluster.tls().trustStorePath() != null
          ? "the truststore " + cluster.tls().trustStorePath() : "the truststore (ssl.truststore.location)";
      return "TLS handshake with " + where + " failed: " + kafka + ". Check that " + store
          + " holds the CA certificate that signed the brokers' certificates, that the bootstrap host names"
          + " match those certificates, and for mutual TLS that the keystore holds a key the brokers trust";
    }
    if (cause instanceof AuthenticationException) {
      String who = cluster.sasl() != null
          ? "SASL " + cluster.sasl().mechanism() + (cluster.sasl().user() != null ? " as user " + cluster.sasl().user() : "")
          : "the configured SASL settings";
      return "authentication to " + where + " failed with " + who + ": " + kafka
          + ". Check the user, the password and that the SASL mechanism is one the listener enables";
    }
    return "not authorized by " + where + ": " + kafka
        + ". Check the ACLs granted to this user (topics, consumer group, transactional id)";
  }
}
