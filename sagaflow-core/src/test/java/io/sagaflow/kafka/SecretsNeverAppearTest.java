package io.sagaflow.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.recovery.DeadLetterFilter;
import io.sagaflow.recovery.DeadLetters;
import io.sagaflow.recovery.DeadLettersOptions;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;

/**
 * Secrets set on every options type never show in a {@code toString}, an exception message or a
 * log line, while clients with those secrets start, work and fail.
 */
@ExtendWith(LeakCheck.class)
class SecretsNeverAppearTest {
  private static final String PASSWORD = "pw-never-shown-4b7c";
  private static final String OTHER_SECRET = "key-never-shown-e21a";

  @TempDir Path dir;

  @Test
  void everyOptionsTypeRedactsItsSecrets() throws Exception {
    Path store = Files.writeString(dir.resolve("store.p12"), "x");
    ClusterOptions cluster = ClusterOptions.of("orders", "h:9093")
        .withSasl(Sasl.plain("alice", PASSWORD))
        .withTls(Tls.trustStore(store, PASSWORD).withKeyStore(store, PASSWORD, OTHER_SECRET))
        .withClientOverride("schema.registry.basic.auth.user.info", "u:" + OTHER_SECRET);
    ClusterOptions raw = ClusterOptions.of("raw", "h:9093").withSecurity(Map.of(
        "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
        "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\""
            + " password=\"" + PASSWORD + "\";",
        "ssl.truststore.password", OTHER_SECRET));
    String jaas = "x required password=\"" + PASSWORD + "\";";
    List<Object> all = List.of(
        cluster, raw, cluster.sasl(), cluster.tls(),
        KafkaCluster.create(cluster),
        ProcessorOptions.create(cluster, "g", new StringDeserializer(), new StringDeserializer())
            .withKafkaProperty("sasl.jaas.config", jaas)
            .withProducerProperties(Map.of("ssl.key.password", OTHER_SECRET)),
        RecoveryOptions.of(cluster, "g").withProducerProperty("sasl.jaas.config", jaas),
        DeadLettersOptions.of(cluster).withClientProperties(Map.of("ssl.keystore.password", OTHER_SECRET)),
        SagaOptions.defaults().withCluster(raw).withKafkaProperty("sasl.jaas.config", jaas),
        SagaConsumerOptions.of("g", "t-dlt"),
        ProducerOptions.defaults().withProperty("ssl.key.password", OTHER_SECRET));
    for (Object o : all) {
      assertThat(o.toString()).as(o.getClass().getSimpleName())
          .doesNotContain(PASSWORD).doesNotContain(OTHER_SECRET);
    }
    assertThat(all.get(5).toString()).contains("ProcessorOptions[cluster=ClusterOptions[name=orders", "alice",
        "[redacted]");
  }

  @Test
  void clientsWithSecretsNeverLogOrThrowThem() throws Exception {
    PrintStream originalErr = System.err;
    PrintStream originalOut = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
    List<String> messages = new ArrayList<>();
    System.setErr(tee);
    System.setOut(tee);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(
        EmbeddedKafkaOptions.defaults().withSaslPlainUser("alice", PASSWORD))) {
      ClusterOptions good = ClusterOptions.of("secure", kafka.saslBootstrapServers())
          .withSasl(Sasl.plain("alice", PASSWORD));
      try (KafkaCluster cluster = KafkaCluster.create(good)) {
        cluster.producer().typed(new StringSerializer(), new StringSerializer()).send("in", "k", "v").join();
        // The processor's consumer connects with the cluster's SASL settings too.
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Processor<String, String> p = Processor.forRecords(
            ProcessorOptions.create(cluster, "g-good", new StringDeserializer(), new StringDeserializer())
                .withTopics("in"), r -> seen.add(r.value())).start()) {
          await("the record, or the processor stopped").atMost(Duration.ofSeconds(30))
              .until(() -> !seen.isEmpty() || p.status().state() != ProcessorStatus.State.RUNNING);
          assertThat(seen).containsExactly("v");
        }
      }

      ClusterOptions bad = ClusterOptions.of("secure", kafka.saslBootstrapServers())
          .withSasl(Sasl.plain("alice", PASSWORD + "-wrong"));
      Processor<String, String> failing = Processor.forRecords(
          ProcessorOptions.create(bad, "g-bad", new StringDeserializer(), new StringDeserializer()).withTopics("in"),
          r -> { });
      failing.start();
      assertThat(failing.awaitTermination(Duration.ofSeconds(60))).as("a rejected login stops the processor").isTrue();
      ProcessorStatus status = failing.status();
      failing.close();
      assertThat(status.state()).isEqualTo(ProcessorStatus.State.FAILED);
      String why = status.lastError().orElseThrow().getMessage();
      messages.add(why);
      assertThat(why).contains("authentication to cluster secure at " + kafka.saslBootstrapServers(),
          "SASL PLAIN as user alice", "Check the user, the password");

      assertThatThrownBy(() -> DeadLetters.create(DeadLettersOptions.of(bad)
          .withTimeout(Duration.ofSeconds(20))).list("in-dlt", DeadLetterFilter.all()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("authentication to cluster secure")
          .satisfies(e -> messages.add(e.getMessage()));
      try (KafkaCluster cluster = KafkaCluster.create(bad)) {
        assertThatThrownBy(() -> cluster.verifyReachable(Duration.ofSeconds(20)))
            .hasMessageContaining("authentication to cluster secure")
            .satisfies(e -> messages.add(e.getMessage()));
      }
      try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(bad, "g-bad")
          .withPublishTimeout(Duration.ofSeconds(20)))) {
        assertThatThrownBy(() -> recovery.createTopics("in"))
            .hasMessageContaining("authentication to cluster secure")
            .satisfies(e -> messages.add(e.getMessage()));
      }
    } finally {
      System.setErr(originalErr);
      System.setOut(originalOut);
    }
    assertThat(messages).isNotEmpty().allSatisfy(m -> assertThat(m).doesNotContain(PASSWORD));
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs).as("the clients logged, so the check means something").contains("secure");
    assertThat(logs).doesNotContain(PASSWORD);
  }
}
