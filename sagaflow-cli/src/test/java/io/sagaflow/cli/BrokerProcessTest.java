package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.Collections;
import java.util.concurrent.CompletableFuture;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import io.sagaflow.embedded.LeakCheck;

/** {@code sagaflow broker} as its own process: serves clients, stops cleanly on SIGTERM. */
@ExtendWith(LeakCheck.class)
class BrokerProcessTest {

  @Test
  void brokerCommandServesClientsAndStopsOnSigterm() throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process broker = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        SagaflowCli.class.getName(), "broker", "--port", "0")
        .redirectErrorStream(true)
        .start();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<String> bootstrapLine = new CompletableFuture<>();
    // Process.destroy() closes our end of the pipe, so a thread drains the output as it comes.
    Thread drain = Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          output.add(line);
          if (line.startsWith("bootstrap.servers=")) {
            bootstrapLine.complete(line.substring("bootstrap.servers=".length()));
          }
        }
      } catch (IOException e) {
        // stream closed by destroy()
      }
      bootstrapLine.complete(null);
    });
    try {
      String bootstrap = bootstrapLine.get(60, TimeUnit.SECONDS);
      assertThat(bootstrap).as("bootstrap line in %s", output).startsWith("127.0.0.1:");

      Properties pp = new Properties();
      pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("hello", "k", "from a client")).get(30, TimeUnit.SECONDS);
      }
      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, "broker-process-test");
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of("hello"));
        await("the record").atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ofMillis(1))
            .until(() -> {
              for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                values.add(r.value());
              }
              return !values.isEmpty();
            });
      }
      assertThat(values).containsExactly("from a client");

      // SIGTERM, through the OS so that our side of the pipe stays open to read the goodbye.
      new ProcessBuilder("kill", "-TERM", Long.toString(broker.pid())).start().waitFor();
      assertThat(broker.waitFor(60, TimeUnit.SECONDS)).as("broker exits after SIGTERM").isTrue();
      drain.join(Duration.ofSeconds(10));
      assertThat(output).contains("Kafka stopped.");
    } finally {
      broker.destroyForcibly();
      broker.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
