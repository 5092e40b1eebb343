package io.sagaflow.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.sagaflow.kafka.internal.Redaction;

/**
 * TLS of the clients of one cluster: a truststore to verify the brokers, and optionally a keystore
 * that proves the client's own identity (mutual TLS). Store files are PKCS12 or JKS (the type is
 * taken from the file name: {@code .jks} means JKS, anything else PKCS12). Immutable; {@link
 * #toString()} shows the paths, never a password.
 *
 * <pre>{@code
 * Tls tls = Tls.trustStore(Path.of("truststore.p12"), trustPassword)
 *     .withKeyStore(Path.of("client.p12"), storePassword, keyPassword); // mutual TLS
 * }</pre>
 *
 * <p>The files are checked when {@link ClusterOptions#withTls} is called: they must exist and be
 * readable.
 */
public final class Tls {
  private final Path trustStore;
  private final String trustStorePassword;
  private final Path keyStore;
  private final String keyStorePassword;
  private final String keyPassword;

  private Tls(Path trustStore, String trustStorePassword, Path keyStore, String keyStorePassword,
      String keyPassword) {
    this.trustStore = trustStore;
    this.trustStorePassword = trustStorePassword;
    this.keyStore = keyStore;
    this.keyStorePassword = keyStorePassword;
    this.keyPassword = keyPassword;
  }

  /** Verifies the brokers' certificates against this truststore. */
  public static Tls trustStore(Path path, String password) {
    Objects.requireNonNull(path, "trustStore path");
    Objects.requireNonNull(password, "trustStore password");
    return new Tls(path, password, null, null, null);
  }

  /** TLS that verifies the brokers with the JVM's default trusted certificates. */
  public static Tls systemTrust() {
    return new Tls(null, null, null, null, null);
  }

  /** These settings plus a keystore with the client's key and certificate (mutual TLS). */
  public Tls withKeyStore(Path path, String storePassword, String keyPassword) {
    Objects.requireNonNull(path, "keyStore path");
    Objects.requireNonNull(storePassword, "keyStore password");
    Objects.requireNonNull(keyPassword, "key password");
    return new Tls(trustStore, trustStorePassword, path, storePassword, keyPassword);
  }

  /** The truststore file, or {@code null} for the JVM's trusted certificates. */
  public Path trustStorePath() {
    return trustStore;
  }

  /** The keystore file, or {@code null} without mutual TLS. */
  public Path keyStorePath() {
    return keyStore;
  }

  /** Checks that the store files can be read; the message names the cluster and the file. */
  void validate(String cluster) {
    check(cluster, "truststore", trustStore);
    check(cluster, "keystore", keyStore);
  }

  private static void check(String cluster, String what, Path path) {
    if (path == null) {
      return;
    }
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("the TLS " + what + " " + path + " of cluster " + cluster
          + " does not exist or is not a file");
    }
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException("the TLS " + what + " " + path + " of cluster " + cluster
          + " is not readable by this process: check its permissions");
    }
  }

  /** The client properties this TLS setup stands for ({@code ssl.*}; secrets included). */
  Map<String, String> clientProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    if (trustStore != null) {
      p.put("ssl.truststore.location", trustStore.toAbsolutePath().toString());
      p.put("ssl.truststore.password", trustStorePassword);
      p.put("ssl.truststore.type", type(trustStore));
    }
    if (keyStore != null) {
      p.put("ssl.keystore.location", keyStore.toAbsolutePath().toString());
      p.put("ssl.keystore.password", keyStorePassword);
      p.put("ssl.key.password", keyPassword);
      p.put("ssl.keystore.type", type(keyStore));
    }
    return p;
  }

  private static String type(Path store) {
    return store.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tls t && Objects.equals(trustStore, t.trustStore)
        && Objects.equals(trustStorePassword, t.trustStorePassword) && Objects.equals(keyStore, t.keyStore)
        && Objects.equals(keyStorePassword, t.keyStorePassword) && Objects.equals(keyPassword, t.keyPassword);
  }

  @Override
  public int hashCode() {
    return Objects.hash(trustStore, trustStorePassword, keyStore, keyStorePassword, keyPassword);
  }

  /** The store paths; passwords are redacted. */
  @Override
  public String toString() {
    return "Tls[trustStore=" + (trustStore == null ? "system" : trustStore + " (password " + Redaction.REDACTED + ")")
        + (keyStore == null ? "" : ", keyStore=" + keyStore + " (passwords " + Redaction.REDACTED + ")") + "]";
  }
}
