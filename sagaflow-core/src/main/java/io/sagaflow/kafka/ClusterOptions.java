package io.sagaflow.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.sagaflow.kafka.internal.Redaction;

/**
 * How to reach one Kafka cluster: a name (for logs and metrics), the bootstrap servers, security
 * settings and any other client overrides. Immutable; {@link #toString()} hides secrets.
 *
 * <pre>{@code
 * ClusterOptions orders = ClusterOptions.of("orders", "kafka-1:9093,kafka-2:9093")
 *     .withSaslPlain("svc-orders", System.getenv("ORDERS_KAFKA_PASSWORD"), true)
 *     .withClientOverride("client.dns.lookup", "use_all_dns_ips");
 * }</pre>
 *
 * @param name a short name for this cluster, e.g. {@code main}
 * @param bootstrapServers comma-separated {@code host:port} list
 * @param security security client properties ({@code security.protocol}, {@code sasl.*},
 *     {@code ssl.*}); passed to every client as they are
 * @param clientOverrides other client properties for every client of this cluster
 */
public record ClusterOptions(
    String name, String bootstrapServers, Map<String, String> security, Map<String, String> clientOverrides) {

  /** Validates the name and the bootstrap list and copies the maps. */
  public ClusterOptions {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("cluster name must not be empty");
    }
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers of cluster " + name
          + " must not be empty: give host:port[,host:port...]");
    }
    for (String server : bootstrapServers.split(",")) {
      String s = server.trim();
      int colon = s.lastIndexOf(':');
      boolean ok = colon > 0 && colon < s.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(s.substring(colon + 1));
          ok = port > 0 && port < 65536;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw new IllegalArgumentException("bootstrap server '" + s + "' of cluster " + name
            + " is not host:port (for example 127.0.0.1:9092)");
      }
    }
    security = Map.copyOf(Objects.requireNonNull(security, "security"));
    clientOverrides = Map.copyOf(Objects.requireNonNull(clientOverrides, "clientOverrides"));
    if (clientOverrides.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("set the bootstrap servers of cluster " + name
          + " with bootstrapServers, not as a client override");
    }
  }

  /** A plaintext cluster with no overrides. */
  public static ClusterOptions of(String name, String bootstrapServers) {
    return new ClusterOptions(name, bootstrapServers, Map.of(), Map.of());
  }

  /** Replaces the security settings with these raw client properties. */
  public ClusterOptions withSecurity(Map<String, String> security) {
    return new ClusterOptions(name, bootstrapServers, security, clientOverrides);
  }

  /**
   * SASL/PLAIN authentication, over TLS ({@code SASL_SSL}) when {@code tls} is true, else
   * {@code SASL_PLAINTEXT}.
   */
  public ClusterOptions withSaslPlain(String user, String password, boolean tls) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    if (user.contains("\"") || password.contains("\"")) {
      throw new IllegalArgumentException("SASL user and password must not contain double quotes");
    }
    Map<String, String> s = new LinkedHashMap<>();
    s.put("security.protocol", tls ? "SASL_SSL" : "SASL_PLAINTEXT");
    s.put("sasl.mechanism", "PLAIN");
    s.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
        + " username=\"" + user + "\" password=\"" + password + "\";");
    return withSecurity(s);
  }

  /** Adds one client property for every client of this cluster. */
  public ClusterOptions withClientOverride(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(clientOverrides);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new ClusterOptions(name, bootstrapServers, security, copy);
  }

  /** The properties every client of this cluster starts from. */
  public Map<String, Object> clientProperties() {
    Map<String, Object> p = new TreeMap<>();
    p.put("bootstrap.servers", bootstrapServers);
    p.putAll(security);
    p.putAll(clientOverrides);
    return p;
  }

  /** Names the cluster and its settings with passwords and other secrets redacted. */
  @Override
  public String toString() {
    return "ClusterOptions[name=" + name + ", bootstrapServers=" + bootstrapServers
        + ", security=" + Redaction.redact(security)
        + ", clientOverrides=" + Redaction.redact(clientOverrides) + "]";
  }
}
