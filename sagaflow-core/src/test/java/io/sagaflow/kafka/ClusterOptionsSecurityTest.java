package io.sagaflow.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.kafka.internal.Redaction;

class ClusterOptionsSecurityTest {
  private static final String SECRET = "s3cr3t-pw-9d1e";

  @TempDir Path dir;

  @Test
  void securityProtocolIsDerivedFromTheTypedSettings() throws Exception {
    Path trust = Files.writeString(dir.resolve("trust.p12"), "x");
    ClusterOptions base = ClusterOptions.of("orders", "h:9093");
    assertThat(base.securityProtocol()).isEqualTo("PLAINTEXT");
    assertThat(base.withSasl(Sasl.plain("u", SECRET)).securityProtocol()).isEqualTo("SASL_PLAINTEXT");
    assertThat(base.withTls(Tls.trustStore(trust, SECRET)).securityProtocol()).isEqualTo("SSL");
    ClusterOptions both = base.withSasl(Sasl.scramSha512("u", SECRET)).withTls(Tls.trustStore(trust, SECRET));
    assertThat(both.securityProtocol()).isEqualTo("SASL_SSL");
    Map<String, Object> p = both.clientProperties();
    assertThat(p).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("ssl.truststore.location", trust.toAbsolutePath().toString())
        .containsEntry("ssl.truststore.type", "PKCS12");
    assertThat((String) p.get("sasl.jaas.config"))
        .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\"");
    assertThat(base.withSasl(Sasl.scramSha256("u", SECRET)).clientProperties())
        .containsEntry("sasl.mechanism", "SCRAM-SHA-256");
  }

  @Test
  void mutualTlsAddsTheKeyStore() throws Exception {
    Path trust = Files.writeString(dir.resolve("trust.jks"), "x");
    Path key = Files.writeString(dir.resolve("client.p12"), "x");
    ClusterOptions c = ClusterOptions.of("orders", "h:9093")
        .withTls(Tls.trustStore(trust, SECRET).withKeyStore(key, SECRET + "-store", SECRET + "-key"));
    assertThat(c.clientProperties())
        .containsEntry("ssl.truststore.type", "JKS")
        .containsEntry("ssl.keystore.location", key.toAbsolutePath().toString())
        .containsEntry("ssl.keystore.password", SECRET + "-store")
        .containsEntry("ssl.key.password", SECRET + "-key")
        .containsEntry("ssl.keystore.type", "PKCS12");
  }

  @Test
  void oauthBearerSettingsPassThrough() {
    ClusterOptions c = ClusterOptions.of("orders", "h:9093").withSasl(Sasl.oauthBearer(Map.of(
        "sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
            + " clientSecret=\"" + SECRET + "\";",
        "sasl.login.callback.handler.class", "com.example.Handler")));
    assertThat(c.securityProtocol()).isEqualTo("SASL_PLAINTEXT");
    assertThat(c.clientProperties()).containsEntry("sasl.mechanism", "OAUTHBEARER")
        .containsEntry("sasl.login.callback.handler.class", "com.example.Handler");
    assertThat(c.toString()).contains("OAUTHBEARER", "com.example.Handler").doesNotContain(SECRET);
    assertThatThrownBy(() -> Sasl.oauthBearer(Map.of("sasl.login.callback.handler.class", "x")))
        .hasMessageContaining("OAUTHBEARER settings need sasl.jaas.config");
  }

  @Test
  void badSettingsAreRejectedNamingTheClusterAndTheFix() {
    assertThatThrownBy(() -> ClusterOptions.of("orders", "h:9093")
        .withTls(Tls.trustStore(dir.resolve("missing.p12"), SECRET)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truststore " + dir.resolve("missing.p12") + " of cluster orders does not exist");
    assertThatThrownBy(() -> Sasl.plain(" ", SECRET))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("SASL PLAIN user must not be empty");
    assertThatThrownBy(() -> Sasl.scramSha256("u", ""))
        .hasMessageContaining("password of user u must not be empty");
    assertThatThrownBy(() -> ClusterOptions.of("orders", "h:9093").withSasl(Sasl.plain("u", SECRET))
        .withSecurity(Map.of("security.protocol", "SSL")))
        .hasMessageContaining("cluster orders: security.protocol is set both by withSasl/withTls and as a raw property");
  }

  @Test
  void toStringsShowWhoButNeverTheSecrets() throws Exception {
    Path trust = Files.writeString(dir.resolve("trust.p12"), "x");
    Sasl sasl = Sasl.plain("alice", SECRET);
    Tls tls = Tls.trustStore(trust, SECRET).withKeyStore(trust, SECRET, SECRET);
    ClusterOptions c = ClusterOptions.of("orders", "h:9093").withSasl(sasl).withTls(tls)
        .withClientOverride("basic.auth.user.info", "x:" + SECRET).withClientOverride("my.secret", SECRET);
    assertThat(sasl.toString()).contains("PLAIN", "alice").doesNotContain(SECRET);
    assertThat(tls.toString()).contains(trust.toString()).doesNotContain(SECRET);
    assertThat(c.toString()).contains("orders", "SASL_SSL", "alice").doesNotContain(SECRET);
  }

  @Test
  void connectionFailuresNameTheClusterAndTheFix() throws Exception {
    Path trust = Files.writeString(dir.resolve("trust.p12"), "x");
    ClusterOptions sasl = ClusterOptions.of("orders", "h:9093").withSasl(Sasl.scramSha256("svc", SECRET));
    IllegalStateException auth = ConnectionFailures.explain(sasl, new RuntimeException("wrapped",
        new SaslAuthenticationException("Authentication failed: invalid credentials for " + SECRET))).orElseThrow();
    assertThat(auth.getMessage())
        .contains("authentication to cluster orders at h:9093 (security.protocol SASL_PLAINTEXT) failed with"
            + " SASL SCRAM-SHA-256 as user svc")
        .contains("Check the user, the password and that the SASL mechanism")
        .doesNotContain(SECRET);
    ClusterOptions ssl = ClusterOptions.of("orders", "h:9093").withTls(Tls.trustStore(trust, SECRET));
    IllegalStateException handshake = ConnectionFailures.explain(ssl,
        new SslAuthenticationException("SSL handshake failed")).orElseThrow();
    assertThat(handshake.getMessage()).contains("TLS handshake with cluster orders at h:9093", "the truststore " + trust);
    assertThat(ConnectionFailures.explain(ssl, new IllegalStateException("other"))).isEmpty();
  }

  @Test
  void theClientFactoryAppliesOnePolicy() {
    ClusterOptions c = ClusterOptions.of("orders", "h:9093").withSasl(Sasl.plain("u", SECRET))
        .withClientOverride("linger.ms", "20").withClientOverride("my.plugin.setting", "v");
    Map<String, Object> consumer = KafkaClients.consumerProperties(c, "scan", Map.of("group.id", "g"));
    assertThat(consumer).containsEntry("bootstrap.servers", "h:9093").containsEntry("security.protocol", "SASL_PLAINTEXT")
        .containsEntry("my.plugin.setting", "v").containsEntry("group.id", "g").doesNotContainKey("linger.ms");
    assertThat((String) consumer.get("client.id")).startsWith("sagaflow-orders-scan-");
    Map<String, Object> producer = KafkaClients.producerProperties(c, "out", Map.of());
    assertThat(producer).containsEntry("acks", "all").containsEntry("enable.idempotence", true)
        .containsEntry("linger.ms", "20").containsEntry("sasl.mechanism", "PLAIN");
    assertThat(producer.get("client.id")).isNotEqualTo(KafkaClients.producerProperties(c, "out", Map.of()).get("client.id"));
    assertThatThrownBy(() -> KafkaClients.producerProperties(c, "out", Map.of("acks", "1")))
        .hasMessageContaining("acks=1 cannot be used");
    assertThatThrownBy(() -> KafkaClients.consumerProperties(c, "x", Map.of("bootstrap.servers", "o:1")))
        .hasMessageContaining("bootstrap.servers comes from the ClusterOptions of cluster orders");
    assertThat(Redaction.scrub("pw is " + SECRET, c.clientProperties())).isEqualTo("pw is [redacted]");
  }
}
