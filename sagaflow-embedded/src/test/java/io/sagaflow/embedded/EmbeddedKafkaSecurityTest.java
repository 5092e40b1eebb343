package io.sagaflow.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import javax.net.ssl.SSLHandshakeException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every secured listener proved with raw Kafka clients: a record produced and consumed through
 * it, and a wrong password, an untrusted broker and a missing client certificate refused with the
 * matching error within a bounded time. One broker with all listeners serves the whole class.
 */
@ExtendWith(LeakCheck.class)
class EmbeddedKafkaSecurityTest {
  private static final String PLAIN_USER = "alice";
  private static final String PLAIN_PASSWORD = "alice-secret";
  private static final String SCRAM_USER = "bob";
  private static final String SCRAM_PASSWORD = "bob-secret";
  /** Failed logins must surface within this (clients below block at most 10 s). */
  private static final Duration FAILS_WITHIN = Duration.ofSeconds(30);

  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults()
        .withSaslPlainUser(PLAIN_USER, PLAIN_PASSWORD)
        .withScramUser(SCRAM_USER, SCRAM_PASSWORD)
        .withOAuthBearer()
        .withTls());
  }

  @AfterAll
  static void stopBrokerAndCheckNothingIsLeft() throws Exception {
    List<Integer> ports = new ArrayList<>();
    for (ListenerKind kind : kafka.listeners()) {
      for (String address : kafka.bootstrapServers(kind).split(",")) {
        ports.add(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
      }
    }
    Path dir = kafka.dataDir();
    kafka.close();
    assertThat(dir).doesNotExist();
    for (int port : ports) {
      assertThat(portIsFree(port)).as("port %d freed", port).isTrue();
    }
  }

  @Test
  void opensEveryListenerOnItsOwnPortOf127001() {
    assertThat(kafka.listeners()).containsExactly(ListenerKind.values());
    assertThat(kafka.listeners().stream().map(kafka::bootstrapServers).distinct())
        .hasSize(ListenerKind.values().length)
        .allMatch(a -> a.startsWith("127.0.0.1:"));
    assertThat(kafka.saslBootstrapServers()).isEqualTo(kafka.bootstrapServers(ListenerKind.SASL_PLAINTEXT));
  }

  @Test
  void saslPlain() throws Exception {
    Properties p = kafka.clientProperties(ListenerKind.SASL_PLAINTEXT);
    p.putAll(sasl("PLAIN", plainJaas(PLAIN_USER, PLAIN_PASSWORD)));
    assertRoundTrip("sec-plain", p);
  }

  @Test
  void scramSha256() throws Exception {
    Properties p = kafka.clientProperties(ListenerKind.SASL_PLAINTEXT);
    p.putAll(sasl("SCRAM-SHA-256", scramJaas(SCRAM_USER, SCRAM_PASSWORD)));
    assertRoundTrip("sec-scram-256", p);
  }

  @Test
  void scramSha512() throws Exception {
    Properties p = kafka.clientProperties(ListenerKind.SASL_PLAINTEXT);
    p.putAll(sasl("SCRAM-SHA-512", scramJaas(SCRAM_USER, SCRAM_PASSWORD)));
    assertRoundTrip("sec-scram-512", p);
  }

  @Test
  void oauthBearerWithUnsecuredTokens() throws Exception {
    Properties p = kafka.clientProperties(ListenerKind.SASL_PLAINTEXT);
    p.putAll(sasl("OAUTHBEARER", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
        + " required unsecuredLoginStringClaim_sub=\"carol\";"));
    assertRoundTrip("sec-oauth", p);
  }

  @Test
  void sslWithATrustStore() throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers(ListenerKind.SSL));
    p.put("security.protocol", "SSL");
    p.putAll(kafka.certificates().clientSslProperties());
    assertRoundTrip("sec-ssl", p);
  }

  @Test
  void mutualTlsWithAClientKeyStore() throws Exception {
    assertRoundTrip("sec-mtls", kafka.clientProperties(ListenerKind.MTLS));
  }

  @Test
  void saslOverTls() throws Exception {
    Properties p = kafka.clientProperties(ListenerKind.SASL_SSL);
    p.putAll(sasl("SCRAM-SHA-512", scramJaas(SCRAM_USER, SCRAM_PASSWORD)));
    assertRoundTrip("sec-sasl-ssl", p);
  }

  @Test
  void aWrongPlainPasswordFailsWithAnAuthenticationError() {
    Properties p = kafka.clientProperties(ListenerKind.SASL_PLAINTEXT);
    p.putAll(sasl("PLAIN", plainJaas(PLAIN_USER, "wrong")));
    assertThat(sendFailure(p)).isInstanceOf(SaslAuthenticationException.class)
        .hasMessageContaining("Invalid username or password");
  }

  @Test
  void aWrongScramPasswordFailsWithAnAuthenticationError() {
    Properties p = kafka.clientProperties(ListenerKind.SASL_SSL);
    p.putAll(sasl("SCRAM-SHA-256", scramJaas(SCRAM_USER, "wrong")));
    assertThat(sendFailure(p)).isInstanceOf(SaslAuthenticationException.class)
        .hasMessageContaining("invalid credentials");
  }

  @Test
  void anUntrustedBrokerCertificateFailsTheHandshake() {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers(ListenerKind.SSL));
    p.put("security.protocol", "SSL");
    p.putAll(kafka.certificates().untrustingClientSslProperties());
    assertThat(sendFailure(p)).isInstanceOf(SslAuthenticationException.class)
        .hasCauseInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void mutualTlsRefusesAClientWithoutAKey() {
    Properties p = kafka.clientProperties(ListenerKind.SSL); // trust store only
    p.put("bootstrap.servers", kafka.bootstrapServers(ListenerKind.MTLS));
    assertThat(sendFailure(p)).isInstanceOf(SslAuthenticationException.class);
  }

  @Test
  void mutualTlsRefusesAClientCertificateFromAnotherIssuer() {
    TestCertificates certs = kafka.certificates();
    Properties p = kafka.clientProperties(ListenerKind.SSL);
    p.put("bootstrap.servers", kafka.bootstrapServers(ListenerKind.MTLS));
    p.put("ssl.keystore.location", certs.untrustedKeyStore().toString());
    p.put("ssl.keystore.password", certs.keyStorePassword());
    p.put("ssl.keystore.type", TestCertificates.STORE_TYPE);
    assertThat(sendFailure(p)).isInstanceOf(SslAuthenticationException.class);
  }

  @Test
  void optionsNeverShowAPassword() {
    EmbeddedKafkaOptions options = EmbeddedKafkaOptions.defaults()
        .withSaslPlainUser(PLAIN_USER, PLAIN_PASSWORD)
        .withScramUser(SCRAM_USER, SCRAM_PASSWORD)
        .withTls(kafka.certificates());
    assertThat(options.toString())
        .contains(PLAIN_USER, SCRAM_USER)
        .doesNotContain(PLAIN_PASSWORD, SCRAM_PASSWORD, kafka.certificates().keyStorePassword(),
            kafka.certificates().trustStorePassword());
  }

  private static Map<String, String> sasl(String mechanism, String jaas) {
    return Map.of("sasl.mechanism", mechanism, "sasl.jaas.config", jaas);
  }

  static String plainJaas(String user, String password) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
        + "\" password=\"" + password + "\";";
  }

  static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
        + "\" password=\"" + password + "\";";
  }

  /** Produces a record through the listener {@code client} names and reads it back through it. */
  private static void assertRoundTrip(String topic, Properties client) throws Exception {
    kafka.createTopic(topic, 1);
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", "v-" + topic)).get();
    }
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      await("a record through " + topic).atMost(Duration.ofSeconds(30)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            return !got.isEmpty();
          });
    }
    assertThat(got).extracting(ConsumerRecord::value).containsExactly("v-" + topic);
  }

  /**
   * Sends one record with {@code client} and returns why it failed, checking that it failed
   * within {@link #FAILS_WITHIN}: a refused login must end the call, never retry forever.
   */
  private static Throwable sendFailure(Properties client) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    long start = System.nanoTime();
    Throwable failure;
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>("sec-refused", "k", "v")).get();
      failure = null;
    } catch (ExecutionException e) {
      failure = e.getCause();
    } catch (Exception e) {
      failure = e;
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAILS_WITHIN);
    assertThat(failure).as("the send must fail").isNotNull();
    return failure;
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
