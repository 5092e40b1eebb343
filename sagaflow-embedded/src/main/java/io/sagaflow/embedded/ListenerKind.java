package io.sagaflow.embedded;

/**
 * The client listeners an {@link EmbeddedKafka} broker can open, each on its own port of
 * 127.0.0.1. Ask for an address with {@link EmbeddedKafka#bootstrapServers(ListenerKind)}.
 *
 * <p>{@link #PLAINTEXT} is always open (brokers and the controller talk over plaintext listeners
 * of their own kind). The others open only when {@link EmbeddedKafkaOptions} asks for them:
 * SASL users or OAUTHBEARER open {@link #SASL_PLAINTEXT}; {@code withTls} opens {@link #SSL} and
 * {@link #MTLS}, and {@link #SASL_SSL} as well when SASL is configured.
 */
public enum ListenerKind {
  /** No encryption, no authentication ({@code security.protocol=PLAINTEXT}). */
  PLAINTEXT("PLAINTEXT", "PLAINTEXT"),
  /**
   * SASL without TLS ({@code security.protocol=SASL_PLAINTEXT}), with every mechanism that the
   * options enabled: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER.
   */
  SASL_PLAINTEXT("SASL_PLAINTEXT", "SASL_PLAINTEXT"),
  /** TLS, the broker authenticated by its certificate ({@code security.protocol=SSL}). */
  SSL("SSL", "SSL"),
  /**
   * Mutual TLS: as {@link #SSL}, and the broker requires a client certificate signed by its CA
   * ({@code ssl.client.auth=required}); clients still use {@code security.protocol=SSL}.
   */
  MTLS("MTLS", "SSL"),
  /** SASL over TLS ({@code security.protocol=SASL_SSL}), with the mechanisms of {@link #SASL_PLAINTEXT}. */
  SASL_SSL("SASL_SSL", "SASL_SSL");

  private final String listenerName;
  private final String securityProtocol;

  ListenerKind(String listenerName, String securityProtocol) {
    this.listenerName = listenerName;
    this.securityProtocol = securityProtocol;
  }

  /** The {@code security.protocol} a client sets for this listener. */
  public String securityProtocol() {
    return securityProtocol;
  }

  /** The broker's name for this listener, as in {@code listeners=NAME://127.0.0.1:port}. */
  String listenerName() {
    return listenerName;
  }
}
