package io.sagaflow.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away TLS material for tests: a certificate authority, a broker certificate for
 * {@code 127.0.0.1} and {@code localhost} signed by it, a client certificate signed by it, and an
 * <em>untrusted</em> self-signed certificate that nothing here trusts. Everything is written as
 * PKCS12 files into a directory of the caller's choosing.
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.generate(tempDir);
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withTls(certs))) {
 *   Properties p = new Properties();
 *   p.put("bootstrap.servers", kafka.bootstrapServers(ListenerKind.SSL));
 *   p.put("security.protocol", "SSL");
 *   p.putAll(certs.clientSslProperties());          // trusts the broker
 *   // ListenerKind.MTLS: certs.clientMutualTlsProperties() also presents the client certificate
 *   // certs.untrustingClientSslProperties(): a truststore without our CA, the handshake fails
 * }
 * }</pre>
 *
 * <table>
 *   <caption>Files</caption>
 *   <tr><th>accessor</th><th>file</th><th>holds</th><th>password</th></tr>
 *   <tr><td>{@link #trustStore()}</td><td>truststore.p12</td><td>the CA certificate</td>
 *       <td>{@link #trustStorePassword()}</td></tr>
 *   <tr><td>{@link #serverKeyStore()}</td><td>server.p12</td><td>broker key, chain to the CA,
 *       SAN {@code IP:127.0.0.1, DNS:localhost}</td><td>{@link #keyStorePassword()}</td></tr>
 *   <tr><td>{@link #clientKeyStore()}</td><td>client.p12</td><td>client key, chain to the CA,
 *       subject {@code CN=sagaflow-client}</td><td>{@link #keyStorePassword()}</td></tr>
 *   <tr><td>{@link #untrustedKeyStore()}</td><td>untrusted.p12</td><td>a self-signed key with the
 *       same SAN, not from the CA</td><td>{@link #keyStorePassword()}</td></tr>
 *   <tr><td>{@link #untrustedTrustStore()}</td><td>untrusted-truststore.p12</td><td>only that
 *       self-signed certificate</td><td>{@link #trustStorePassword()}</td></tr>
 * </table>
 *
 * <p>Key passwords equal the key store password. The two passwords are random per generation and
 * differ from each other, so that a test notices a key store password used for a trust store.
 * Keys are EC P-256 and certificates last 30 days from an hour ago (clock skew).
 *
 * <p>The certificates are built in-process with BouncyCastle rather than with {@code keytool}: the
 * ~16 keytool steps would each start a JVM, seconds apiece on a busy machine; this takes a fraction
 * of a second.
 */
public final class TestCertificates {
  /** The type of every store written here. */
  public static final String STORE_TYPE = "PKCS12";

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Duration VALIDITY = Duration.ofDays(30);

  private final Path dir;
  private final String keyStorePassword;
  private final String trustStorePassword;

  private TestCertificates(Path dir, String keyStorePassword, String trustStorePassword) {
    this.dir = dir;
    this.keyStorePassword = keyStorePassword;
    this.trustStorePassword = trustStorePassword;
  }

  /**
   * Generates a fresh CA and certificates into {@code dir} (created if missing; files there with
   * the same names are replaced). The caller owns the directory and deletes it, e.g. a JUnit
   * {@code @TempDir}.
   *
   * @throws UncheckedIOException if the files cannot be written
   */
  public static TestCertificates generate(Path dir) {
    Objects.requireNonNull(dir, "dir");
    SecureRandom random = new SecureRandom();
    TestCertificates certs = new TestCertificates(
        dir.toAbsolutePath(), "ks-" + randomHex(random), "ts-" + randomHex(random));
    try {
      Files.createDirectories(certs.dir);
      certs.write(random);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write test certificates to " + dir + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate test certificates: " + e, e);
    }
    return certs;
  }

  private void write(SecureRandom random)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    Instant now = Instant.now();
    KeyPair caKey = ecKey(random);
    X500Name caName = new X500Name("CN=sagaflow-test-ca");
    X509Certificate ca = certificate(random, now, caName, caKey, caName, caKey, Kind.CA);

    KeyPair serverKey = ecKey(random);
    X509Certificate server = certificate(random, now, new X500Name("CN=localhost"), serverKey,
        caName, caKey, Kind.SERVER);
    KeyPair clientKey = ecKey(random);
    X509Certificate client = certificate(random, now, new X500Name("CN=sagaflow-client"), clientKey,
        caName, caKey, Kind.CLIENT);
    KeyPair otherKey = ecKey(random);
    X500Name otherName = new X500Name("CN=untrusted");
    X509Certificate other = certificate(random, now, otherName, otherKey, otherName, otherKey, Kind.SELF_SIGNED);

    writeTrustStore(trustStore(), "sagaflow-test-ca", ca);
    writeKeyStore(serverKeyStore(), "server", serverKey, server, ca);
    writeKeyStore(clientKeyStore(), "client", clientKey, client, ca);
    writeKeyStore(untrustedKeyStore(), "untrusted", otherKey, other);
    writeTrustStore(untrustedTrustStore(), "untrusted", other);
  }

  private enum Kind { CA, SERVER, CLIENT, SELF_SIGNED }

  private static X509Certificate certificate(SecureRandom random, Instant now, X500Name subject,
      KeyPair subjectKey, X500Name issuer, KeyPair issuerKey, Kind kind)
      throws CertIOException, GeneralSecurityException, OperatorCreationException {
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, random).abs(),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject,
        subjectKey.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKey.getPublic()));
    if (kind == Kind.CA) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      KeyPurposeId[] purposes = switch (kind) {
        case CLIENT -> new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
        default -> new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth};
      };
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
      if (kind != Kind.CLIENT) {
        // Clients verify the host name (ssl.endpoint.identification.algorithm=https by default).
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            new GeneralName(GeneralName.dNSName, "localhost")}));
      }
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(issuerKey.getPrivate())));
  }

  private static KeyPair ecKey(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private void writeKeyStore(Path file, String alias, KeyPair key, X509Certificate... chain)
      throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance(STORE_TYPE);
    ks.load(null, null);
    ks.setKeyEntry(alias, key.getPrivate(), keyStorePassword.toCharArray(), (Certificate[]) chain);
    store(ks, file, keyStorePassword);
  }

  private void writeTrustStore(Path file, String alias, X509Certificate cert)
      throws IOException, GeneralSecurityException {
    KeyStore ts = KeyStore.getInstance(STORE_TYPE);
    ts.load(null, null);
    ts.setCertificateEntry(alias, cert);
    store(ts, file, trustStorePassword);
  }

  private static void store(KeyStore ks, Path file, String password)
      throws IOException, GeneralSecurityException {
    try (OutputStream out = Files.newOutputStream(file)) {
      ks.store(out, password.toCharArray());
    }
  }

  private static String randomHex(SecureRandom random) {
    byte[] b = new byte[12];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The directory holding the files. */
  public Path dir() {
    return dir;
  }

  /** Trust store with the CA that signed the broker and client certificates. */
  public Path trustStore() {
    return dir.resolve("truststore.p12");
  }

  /** The broker's key store: its key and certificate (SAN 127.0.0.1, localhost) with the CA. */
  public Path serverKeyStore() {
    return dir.resolve("server.p12");
  }

  /** The client's key store for mutual TLS: its key and certificate ({@code CN=sagaflow-client}). */
  public Path clientKeyStore() {
    return dir.resolve("client.p12");
  }

  /** A key store with a self-signed certificate that the CA did not sign: a broker refuses it. */
  public Path untrustedKeyStore() {
    return dir.resolve("untrusted.p12");
  }

  /** A trust store holding only the self-signed certificate: a client with it refuses the broker. */
  public Path untrustedTrustStore() {
    return dir.resolve("untrusted-truststore.p12");
  }

  /** Password of the key stores, and of the keys in them. */
  public String keyStorePassword() {
    return keyStorePassword;
  }

  /** Password of the trust stores. */
  public String trustStorePassword() {
    return trustStorePassword;
  }

  /**
   * Client properties that trust the broker: {@code ssl.truststore.location}, {@code .password}
   * and {@code .type}. Add {@code security.protocol} ({@code SSL} or {@code SASL_SSL}) yourself.
   */
  public Map<String, String> clientSslProperties() {
    return trustProperties(trustStore());
  }

  /**
   * {@link #clientSslProperties()} plus the client's key store ({@code ssl.keystore.location},
   * {@code .password}, {@code .type} and {@code ssl.key.password}), for a listener that requires
   * client certificates ({@link ListenerKind#MTLS}).
   */
  public Map<String, String> clientMutualTlsProperties() {
    Map<String, String> p = trustProperties(trustStore());
    p.putAll(keyProperties(clientKeyStore()));
    return p;
  }

  /**
   * Trust properties of a client that does not trust the broker (its trust store holds only the
   * untrusted self-signed certificate): its TLS handshake with the broker fails.
   */
  public Map<String, String> untrustingClientSslProperties() {
    return trustProperties(untrustedTrustStore());
  }

  /**
   * The broker's SSL settings: its key store, and the CA trust store for client certificates.
   * {@link EmbeddedKafka} applies these to its TLS listeners.
   */
  public Map<String, String> brokerSslProperties() {
    Map<String, String> p = trustProperties(trustStore());
    p.putAll(keyProperties(serverKeyStore()));
    return p;
  }

  private Map<String, String> trustProperties(Path store) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("ssl.truststore.location", store.toString());
    p.put("ssl.truststore.password", trustStorePassword);
    p.put("ssl.truststore.type", STORE_TYPE);
    return p;
  }

  private Map<String, String> keyProperties(Path store) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("ssl.keystore.location", store.toString());
    p.put("ssl.keystore.password", keyStorePassword);
    p.put("ssl.keystore.type", STORE_TYPE);
    p.put("ssl.key.password", keyStorePassword);
    return p;
  }

  /** Names the directory only, never a password. */
  @Override
  public String toString() {
    return "TestCertificates[" + dir + "]";
  }
}
