package io.sagaflow.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;

@ExtendWith(LeakCheck.class)
class KafkaClusterTest {
  private static final String PASSWORD = "n0t-in-any-log-7f3a";

  @Test
  void twoClustersInOneProcessShareNothing() {
    try (EmbeddedKafka a = EmbeddedKafka.start(); EmbeddedKafka b = EmbeddedKafka.start()) {
      KafkaCluster clusterA = KafkaCluster.create(ClusterOptions.of("a", a.bootstrapServers()));
      try (KafkaCluster clusterB = KafkaCluster.create(ClusterOptions.of("b", b.bootstrapServers()))) {
        var strings = clusterA.producer().typed(new StringSerializer(), new StringSerializer());
        strings.send("events", "k", "from-a").join();
        clusterB.producer().typed(new StringSerializer(), new StringSerializer())
            .send("events", "k", "from-b").join();

        assertThat(readAll(clusterA, "events", 1)).containsExactly("from-a");
        assertThat(readAll(clusterB, "events", 1)).containsExactly("from-b");

        clusterA.close(Duration.ofSeconds(10));
        assertThatThrownBy(clusterA::producer).hasMessageContaining("cluster a is closed");
        clusterB.producer().typed(new StringSerializer(), new StringSerializer())
            .send("events", "k", "still-b").join();
        assertThat(readAll(clusterB, "events", 2)).containsExactly("from-b", "still-b");
      }
    }
  }

  @Test
  void closeFlushesEverySendInFlight() {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      KafkaCluster cluster = KafkaCluster.create(ClusterOptions.of("main", kafka.bootstrapServers()));
      cluster.verifyReachable(Duration.ofSeconds(10));
      EventProducer producer = cluster.newProducer(
          ProducerOptions.defaults().withLinger(Duration.ofSeconds(5)).withCompression("zstd"));
      var typed = producer.typed(new StringSerializer(), new StringSerializer());
      List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        sends.add(typed.send("flushed", "k" + (i % 10), "v" + i));
      }
      cluster.close(Duration.ofSeconds(30));
      assertThat(sends).allSatisfy(f -> assertThat(f).isCompleted().isNotCompletedExceptionally());
      try (KafkaCluster reader = KafkaCluster.create(ClusterOptions.of("reader", kafka.bootstrapServers()))) {
        assertThat(readAll(reader, "flushed", 500)).hasSize(500);
      }
    }
  }

  @Test
  void saslPlainWorksAndThePasswordNeverReachesLogsOrErrors() {
    PrintStream originalErr = System.err;
    PrintStream originalOut = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setErr(tee);
    System.setOut(tee);
    String shown;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(
        EmbeddedKafkaOptions.defaults().withSaslPlainUser("alice", PASSWORD))) {
      ClusterOptions good = ClusterOptions.of("secure", kafka.saslBootstrapServers())
          .withSasl(Sasl.plain("alice", PASSWORD))
          .withClientOverride("some.plugin.secret", PASSWORD);
      try (KafkaCluster cluster = KafkaCluster.create(good)) {
        cluster.verifyReachable(Duration.ofSeconds(20));
        cluster.producer().typed(new StringSerializer(), new StringSerializer())
            .send("secure-topic", "k", "authenticated").join();
        assertThat(readAll(cluster, "secure-topic", 1)).containsExactly("authenticated");
        shown = cluster + " " + good;
      }
      ClusterOptions bad = ClusterOptions.of("secure", kafka.saslBootstrapServers())
          .withSasl(Sasl.plain("alice", PASSWORD + "-wrong"));
      try (KafkaCluster cluster = KafkaCluster.create(bad)) {
        assertThatThrownBy(() -> cluster.verifyReachable(Duration.ofSeconds(20)))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("cluster secure at " + kafka.saslBootstrapServers())
            .hasMessageContaining("authentication to cluster secure")
            .hasMessageContaining("SASL PLAIN as user alice")
            .hasMessageContaining("Check the user, the password and that the SASL mechanism")
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
      }
    } finally {
      System.setErr(originalErr);
      System.setOut(originalOut);
    }
    assertThat(shown).contains("[redacted]").doesNotContain(PASSWORD);
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs).as("something was logged, so the check means something").isNotEmpty();
    assertThat(logs).doesNotContain(PASSWORD);
  }

  @Test
  void badOptionsAreRejectedWithTheirName() {
    assertThatThrownBy(() -> ClusterOptions.of("main", "localhost"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bootstrap server 'localhost' of cluster main is not host:port");
    assertThatThrownBy(() -> ClusterOptions.of(" ", "localhost:9092"))
        .hasMessageContaining("cluster name must not be empty");
    assertThatThrownBy(() -> ProducerOptions.defaults().withProperty("acks", "1"))
        .hasMessageContaining("acks cannot be overridden");
    assertThatThrownBy(() -> ProducerOptions.defaults().withCompression("brotli"))
        .hasMessageContaining("compression (brotli) must be one of");
  }

  private static List<String> readAll(KafkaCluster cluster, String topic, int expected) {
    Map<String, Object> p = new HashMap<>(cluster.clientProperties());
    p.put("group.id", "reader-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      await(expected + " records").atMost(Duration.ofSeconds(30)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
              out.add(r.value());
            }
            return out.size() >= expected;
          });
    }
    return out;
  }
}
