package io.sagaflow.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.embedded.ListenerKind;
import io.sagaflow.embedded.TestCertificates;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorStatus;

/**
 * The typed security of {@link ClusterOptions} against the embedded broker with a listener of each
 * kind: every setting connects, produces and consumes; a wrong password and an untrusted broker
 * certificate fail within a bounded time with an error that names the cluster and the fix.
 */
@ExtendWith(LeakCheck.class)
class TypedSecurityProofTest {
  private static final String PLAIN_USER = "alice";
  private static final String PLAIN_PASSWORD = "alice-pw-7c1";
  private static final String SCRAM_USER = "bob";
  private static final String SCRAM_PASSWORD = "bob-pw-3e9";
  /** A refused login or handshake must surface within this. */
  private static final Duration FAILS_WITHIN = Duration.ofSeconds(30);

  private static EmbeddedKafka kafka;
  private static TestCertificates certs;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults()
        .withSaslPlainUser(PLAIN_USER, PLAIN_PASSWORD)
        .withScramUser(SCRAM_USER, SCRAM_PASSWORD)
        .withOAuthBearer()
        .withTls());
    certs = kafka.certificates();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static ClusterOptions on(ListenerKind kind) {
    return ClusterOptions.of(kind.name().toLowerCase(java.util.Locale.ROOT), kafka.bootstrapServers(kind));
  }

  private static Tls trust() {
    return Tls.trustStore(certs.trustStore(), certs.trustStorePassword());
  }

  @Test
  void saslPlain() {
    assertRoundTrip(on(ListenerKind.SASL_PLAINTEXT).withSasl(Sasl.plain(PLAIN_USER, PLAIN_PASSWORD)), "p-plain");
  }

  @Test
  void scramSha256() {
    assertRoundTrip(on(ListenerKind.SASL_PLAINTEXT).withSasl(Sasl.scramSha256(SCRAM_USER, SCRAM_PASSWORD)), "p-s256");
  }

  @Test
  void scramSha512() {
    assertRoundTrip(on(ListenerKind.SASL_PLAINTEXT).withSasl(Sasl.scramSha512(SCRAM_USER, SCRAM_PASSWORD)), "p-s512");
  }

  @Test
  void oauthBearerPassThrough() {
    assertRoundTrip(on(ListenerKind.SASL_PLAINTEXT).withSasl(Sasl.oauthBearer(Map.of("sasl.jaas.config",
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
            + " unsecuredLoginStringClaim_sub=\"carol\";"))), "p-oauth");
  }

  @Test
  void tlsWithATrustStore() {
    ClusterOptions c = on(ListenerKind.SSL).withTls(trust());
    assertThat(c.securityProtocol()).isEqualTo("SSL");
    assertRoundTrip(c, "p-ssl");
  }

  @Test
  void mutualTlsWithAKeyStore() {
    assertRoundTrip(on(ListenerKind.MTLS).withTls(trust()
        .withKeyStore(certs.clientKeyStore(), certs.keyStorePassword(), certs.keyStorePassword())), "p-mtls");
  }

  @Test
  void saslOverTlsCarriesAProcessor() throws Exception {
    ClusterOptions c = on(ListenerKind.SASL_SSL).withSasl(Sasl.scramSha512(SCRAM_USER, SCRAM_PASSWORD)).withTls(trust());
    assertThat(c.securityProtocol()).isEqualTo("SASL_SSL");
    assertRoundTrip(c, "p-sasl-ssl");
    // Every client of a processor (its consumer, and the producer behind send) connects with the cluster.
    try (KafkaCluster cluster = KafkaCluster.create(c)) {
      List<String> seen = new CopyOnWriteArrayList<>();
      try (Processor<String, String> p = Processor.forRecords(
          ProcessorOptions.create(cluster, "proof-sasl-ssl", new StringDeserializer(), new StringDeserializer())
              .withTopics("p-sasl-ssl"), r -> {
                r.send("p-sasl-ssl-out", r.key(), ("seen " + r.value()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                seen.add(r.value());
              }).start()) {
        assertThat(readOne(cluster, "p-sasl-ssl-out")).isEqualTo("seen hello");
        assertThat(seen).contains("hello");
      }
    }
  }

  @Test
  void aWrongPasswordFailsClearlyAndInBoundedTime() throws Exception {
    ClusterOptions bad = on(ListenerKind.SASL_PLAINTEXT).withSasl(Sasl.scramSha256(SCRAM_USER, "not-" + SCRAM_PASSWORD));
    long t0 = System.nanoTime();
    try (KafkaCluster cluster = KafkaCluster.create(bad)) {
      assertThatThrownBy(() -> cluster.verifyReachable(FAILS_WITHIN))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("authentication to cluster sasl_plaintext at " + bad.bootstrapServers())
          .hasMessageContaining("SASL SCRAM-SHA-256 as user bob")
          .hasMessageContaining("Check the user, the password and that the SASL mechanism")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SCRAM_PASSWORD));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(FAILS_WITHIN);
    assertProcessorFails(bad, "authentication to cluster sasl_plaintext");
  }

  @Test
  void anUntrustedCertificateFailsClearlyAndInBoundedTime() throws Exception {
    ClusterOptions untrusting = on(ListenerKind.SSL)
        .withTls(Tls.trustStore(certs.untrustedTrustStore(), certs.trustStorePassword()));
    long t0 = System.nanoTime();
    try (KafkaCluster cluster = KafkaCluster.create(untrusting)) {
      assertThatThrownBy(() -> cluster.verifyReachable(FAILS_WITHIN))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("TLS handshake with cluster ssl at " + untrusting.bootstrapServers())
          .hasMessageContaining("the truststore " + certs.untrustedTrustStore());
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(FAILS_WITHIN);
    assertProcessorFails(untrusting, "TLS handshake with cluster ssl");
  }

  private static void assertProcessorFails(ClusterOptions cluster, String expected) throws InterruptedException {
    long t0 = System.nanoTime();
    Processor<String, String> p = Processor.forRecords(
        ProcessorOptions.create(cluster, "proof-failing", new StringDeserializer(), new StringDeserializer())
            .withTopics("anything"), r -> { });
    try {
      p.start();
      assertThat(p.awaitTermination(FAILS_WITHIN)).as("the processor stops on its own").isTrue();
      ProcessorStatus status = p.status();
      assertThat(status.state()).isEqualTo(ProcessorStatus.State.FAILED);
      assertThat(status.lastError().orElseThrow().getMessage()).contains(expected, cluster.bootstrapServers());
    } finally {
      p.close();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(FAILS_WITHIN);
  }

  private static void assertRoundTrip(ClusterOptions options, String topic) {
    try (KafkaCluster cluster = KafkaCluster.create(options)) {
      cluster.verifyReachable(Duration.ofSeconds(20));
      cluster.producer().typed(new StringSerializer(), new StringSerializer()).send(topic, "k", "hello").join();
      assertThat(readOne(cluster, topic)).isEqualTo("hello");
    }
  }

  private static String readOne(KafkaCluster cluster, String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = cluster.newConsumer("proof-reader", Map.of())) {
      List<TopicPartition> partitions = new ArrayList<>();
      await("the partitions of " + topic).atMost(Duration.ofSeconds(30)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.partitionsFor(topic, Duration.ofSeconds(10))
                .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            return !partitions.isEmpty();
          });
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
      await("a record of " + topic).atMost(Duration.ofSeconds(30)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            return !read.isEmpty();
          });
      return new String(read.get(0).value(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
