package io.sagaflow.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestCertificatesTest {

  @Test
  void signsTheServerAndClientCertificatesWithTheCaAndNotTheUntrustedOne(@TempDir Path dir)
      throws Exception {
    TestCertificates certs = TestCertificates.generate(dir.resolve("tls"));

    X509Certificate ca = (X509Certificate) load(certs.trustStore(), certs.trustStorePassword())
        .getCertificate("sagaflow-test-ca");
    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0); // a CA
    KeyStore server = load(certs.serverKeyStore(), certs.keyStorePassword());
    X509Certificate serverCert = (X509Certificate) server.getCertificate("server");
    serverCert.verify(ca.getPublicKey());
    assertThat(server.getCertificateChain("server")).hasSize(2);
    assertThat(server.getKey("server", certs.keyStorePassword().toCharArray())).isNotNull();
    assertThat(serverCert.getSubjectAlternativeNames())
        .contains(List.of(7, "127.0.0.1"), List.of(2, "localhost"));
    X509Certificate clientCert = (X509Certificate)
        load(certs.clientKeyStore(), certs.keyStorePassword()).getCertificate("client");
    clientCert.verify(ca.getPublicKey());
    assertThat(clientCert.getSubjectX500Principal().getName()).isEqualTo("CN=sagaflow-client");

    X509Certificate untrusted = (X509Certificate)
        load(certs.untrustedKeyStore(), certs.keyStorePassword()).getCertificate("untrusted");
    assertThatThrownBy(() -> untrusted.verify(ca.getPublicKey())).isInstanceOf(SignatureException.class);
    assertThat(load(certs.untrustedTrustStore(), certs.trustStorePassword()).getCertificate("untrusted"))
        .isEqualTo(untrusted);
  }

  @Test
  void usesDistinctPasswordsAndNeverShowsThem(@TempDir Path dir) {
    TestCertificates certs = TestCertificates.generate(dir);
    assertThat(certs.keyStorePassword()).isNotEqualTo(certs.trustStorePassword());
    assertThatThrownBy(() -> load(certs.trustStore(), certs.keyStorePassword()))
        .hasMessageContaining("password");
    assertThat(certs.toString()).contains(dir.toString())
        .doesNotContain(certs.keyStorePassword(), certs.trustStorePassword());
    assertThat(certs.clientMutualTlsProperties())
        .containsEntry("ssl.keystore.location", certs.clientKeyStore().toString())
        .containsEntry("ssl.truststore.location", certs.trustStore().toString())
        .containsEntry("ssl.keystore.type", "PKCS12");
    assertThat(certs.untrustingClientSslProperties())
        .containsEntry("ssl.truststore.location", certs.untrustedTrustStore().toString())
        .doesNotContainKey("ssl.keystore.location");
  }

  private static KeyStore load(Path file, String password) throws Exception {
    KeyStore ks = KeyStore.getInstance(TestCertificates.STORE_TYPE);
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, password.toCharArray());
    }
    return ks;
  }
}
