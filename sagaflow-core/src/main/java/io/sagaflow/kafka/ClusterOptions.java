package io.sagaflow.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.sagaflow.kafka.internal.Redaction;

/**
 * How to reach one Kafka cluster: a name (for logs, errors and client ids), the bootstrap servers,
 * typed security ({@link Sasl}, {@link Tls}), raw security settings and any other client overrides.
 * An immutable value: compare it, print it (secrets are redacted), put it in the options of every
 * Sagaflow part ({@code ProcessorOptions}, {@code RecoveryOptions}, {@code SagaOptions}, {@code
 * DeadLettersOptions}); every client built from it follows one policy (see {@link KafkaCluster}).
 *
 * <pre>{@code
 * ClusterOptions orders = ClusterOptions.of("orders", "kafka-1:9093,kafka-2:9093")
 *     .withSasl(Sasl.scramSha512("svc-orders", System.getenv("ORDERS_KAFKA_PASSWORD")))
 *     .withTls(Tls.trustStore(Path.of("/etc/kafka/truststore.p12"), System.getenv("TRUSTSTORE_PASSWORD")))
 *     .withClientOverride("client.dns.lookup", "use_all_dns_ips");
 * }</pre>
 *
 * <p>{@code security.protocol} is derived from the typed settings: SASL and TLS give {@code
 * SASL_SSL}, SASL alone {@code SASL_PLAINTEXT}, TLS alone {@code SSL}, neither {@code PLAINTEXT}.
 * {@link #withSecurity(Map)} passes raw settings through instead (for what the typed ones do not
 * cover); mixing both for the same key is rejected.
 *
 * @param name a short name for this cluster, e.g. {@code main}; it appears in errors and client ids
 * @param bootstrapServers comma-separated {@code host:port} list
 * @param sasl SASL authentication, or {@code null}
 * @param tls TLS settings, or {@code null} for no TLS
 * @param security raw security client properties ({@code security.protocol}, {@code sasl.*},
 *     {@code ssl.*}), passed to every client as they are
 * @param clientOverrides other client properties for every client of this cluster (a key that
 *     only another client type knows, such as {@code linger.ms} for a consumer, is left out)
 */
public record ClusterOptions(
    String name,
    String bootstrapServers,
    Sasl sasl,
    Tls tls,
    Map<String, String> security,
    Map<String, String> clientOverrides) {

  /** The name {@code of(bootstrapServers)} and the bootstrap shortcuts of every options type use. */
  public static final String DEFAULT_NAME = "default";

  /** Validates the name, the bootstrap list, the store files and conflicting settings. */
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
    if (tls != null) {
      tls.validate(name);
    }
    security = Map.copyOf(Objects.requireNonNull(security, "security"));
    clientOverrides = Map.copyOf(Objects.requireNonNull(clientOverrides, "clientOverrides"));
    if (clientOverrides.containsKey("bootstrap.servers") || security.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("set the bootstrap servers of cluster " + name
          + " with bootstrapServers, not as a client property");
    }
    Map<String, String> typed = typedSecurity(sasl, tls);
    for (Map<String, String> raw : java.util.List.of(security, clientOverrides)) {
      for (String key : raw.keySet()) {
        if (typed.containsKey(key)) {
          throw new IllegalArgumentException("cluster " + name + ": " + key + " is set both by withSasl/withTls"
              + " and as a raw property; keep one of them");
        }
      }
    }
  }

  /** A plaintext cluster with no overrides. */
  public static ClusterOptions of(String name, String bootstrapServers) {
    return new ClusterOptions(name, bootstrapServers, null, null, Map.of(), Map.of());
  }

  /**
   * The shortcut behind every {@code bootstrapServers} string parameter: a plaintext cluster named
   * {@value #DEFAULT_NAME}.
   */
  public static ClusterOptions of(String bootstrapServers) {
    return of(DEFAULT_NAME, bootstrapServers);
  }

  /** These options with other bootstrap servers (security and overrides kept). */
  public ClusterOptions withBootstrapServers(String bootstrapServers) {
    return new ClusterOptions(name, bootstrapServers, sasl, tls, security, clientOverrides);
  }

  /** Authenticates with SASL; see {@link Sasl}. */
  public ClusterOptions withSasl(Sasl sasl) {
    return new ClusterOptions(name, bootstrapServers, Objects.requireNonNull(sasl, "sasl"), tls, security,
        clientOverrides);
  }

  /**
   * Connects over TLS; see {@link Tls}.
   *
   * @throws IllegalArgumentException when a store file does not exist or cannot be read
   */
  public ClusterOptions withTls(Tls tls) {
    return new ClusterOptions(name, bootstrapServers, sasl, Objects.requireNonNull(tls, "tls"), security,
        clientOverrides);
  }

  /** Replaces the raw security settings with these client properties, passed as they are. */
  public ClusterOptions withSecurity(Map<String, String> security) {
    return new ClusterOptions(name, bootstrapServers, sasl, tls, security, clientOverrides);
  }

  /** Adds one client property for every client of this cluster. */
  public ClusterOptions withClientOverride(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(clientOverrides);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new ClusterOptions(name, bootstrapServers, sasl, tls, security, copy);
  }

  /**
   * Adds client properties for every client of this cluster: security keys ({@code
   * security.protocol}, {@code sasl.*}, {@code ssl.*}) go to the raw security settings, the others
   * to the overrides. This is how a Kafka {@code --command-config} file is read.
   */
  public ClusterOptions withClientProperties(Map<String, String> properties) {
    Map<String, String> sec = new LinkedHashMap<>(security);
    Map<String, String> other = new LinkedHashMap<>(clientOverrides);
    properties.forEach((k, v) -> {
      if (k.equals("security.protocol") || k.startsWith("sasl.") || k.startsWith("ssl.")) {
        sec.put(k, v);
      } else {
        other.put(k, v);
      }
    });
    return new ClusterOptions(name, bootstrapServers, sasl, tls, sec, other);
  }

  /** The security protocol the clients use, derived from the typed or the raw settings. */
  public String securityProtocol() {
    if (sasl != null || tls != null) {
      return sasl != null && tls != null ? "SASL_SSL" : sasl != null ? "SASL_PLAINTEXT" : "SSL";
    }
    return security.getOrDefault("security.protocol", clientOverrides.getOrDefault("security.protocol", "PLAINTEXT"));
  }

  /**
   * The properties every client of this cluster starts from: bootstrap servers, security and
   * overrides. They hold the secrets: pass them to a client, never to a log line.
   */
  public Map<String, Object> clientProperties() {
    Map<String, Object> p = new TreeMap<>();
    p.put("bootstrap.servers", bootstrapServers);
    p.putAll(typedSecurity(sasl, tls));
    p.putAll(security);
    p.putAll(clientOverrides);
    return p;
  }

  private static Map<String, String> typedSecurity(Sasl sasl, Tls tls) {
    Map<String, String> p = new LinkedHashMap<>();
    if (sasl == null && tls == null) {
      return p;
    }
    p.put("security.protocol", sasl != null && tls != null ? "SASL_SSL" : sasl != null ? "SASL_PLAINTEXT" : "SSL");
    if (sasl != null) {
      p.putAll(sasl.clientProperties());
    }
    if (tls != null) {
      p.putAll(tls.clientProperties());
    }
    return p;
  }

  /** Names the cluster and its settings with passwords and other secrets redacted. */
  @Override
  public String toString() {
    return "ClusterOptions[name=" + name + ", bootstrapServers=" + bootstrapServers
        + ", securityProtocol=" + securityProtocol()
        + (sasl == null ? "" : ", sasl=" + sasl)
        + (tls == null ? "" : ", tls=" + tls)
        + ", security=" + Redaction.redact(security)
        + ", clientOverrides=" + Redaction.redact(clientOverrides) + "]";
  }
}
