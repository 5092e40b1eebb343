package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.examples.pizza.PizzaDemo;
import io.sagaflow.examples.pizza.PizzaTopics;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;

/**
 * {@code demo pizza --durable}: the order role in a child JVM is killed (SIGKILL) while its orders
 * wait for the kitchen, started again with {@code --orders 0}, and every order placed ends exactly
 * once, as an independent {@code read_committed} reader counts.
 *
 * <p>Not in the default build: with its child JVMs and orders it takes about a minute (71 s on a
 * loaded 2-core machine; the restart itself is quick, as the demo's consumers have an instance id),
 * over what the suite's time budget has room for. Run it with {@code -Dsagaflow.killTests=true}; README's "Try it: kill
 * -9 the order process" is the same procedure by hand.
 */
@EnabledIfSystemProperty(named = "sagaflow.killTests", matches = "true",
    disabledReason = "about a minute of child JVMs and kills: run with -Dsagaflow.killTests=true")
@ExtendWith(LeakCheck.class)
class PizzaKillTest {

  @Test
  void theOrderProcessKilledMidOrdersResumesAndEveryOrderEndsOnce() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String b = kafka.bootstrapServers();
      ClusterOptions cluster = ClusterOptions.of(b);
      PizzaDemo.Config kitchen = new PizzaDemo.Config(cluster, PizzaDemo.Role.KITCHEN, 1, Duration.ofMillis(100),
          Duration.ofMillis(1500), Duration.ofMillis(200), Duration.ofSeconds(60), true);
      Thread k = role(kitchen);
      Thread d = role(new PizzaDemo.Config(cluster, PizzaDemo.Role.DELIVERY, 1, Duration.ofMillis(100),
          Duration.ofMillis(1500), Duration.ofMillis(200), Duration.ofSeconds(60), true));
      try {
        Child first = Child.start("demo", "pizza", "--durable", "--role", "order", "--bootstrap-servers", b,
            "--orders", "20", "--interval", "100ms", "--timeout", "60s");
        first.awaitLine("customer  placed order-008", Duration.ofSeconds(120));
        first.process.destroyForcibly(); // SIGKILL: orders wait for the kitchen, some not even placed
        assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Child second = Child.start("demo", "pizza", "--durable", "--role", "order", "--bootstrap-servers", b,
            "--orders", "0", "--timeout", "60s");
        assertThat(second.process.waitFor(90, TimeUnit.SECONDS)).as("%s", second.output).isTrue();
        assertThat(second.process.exitValue()).as("%s", second.output).isZero();
        assertThat(second.output).contains("  duplicates 0", "  no outcome 0");

        Map<String, Integer> outcomes = new HashMap<>();
        List<String> placed = new ArrayList<>();
        try (SagaRuntime codec = Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", b))) {
          for (ConsumerRecord<byte[], byte[]> r : committed(b, PizzaTopics.ORDER_PLACED)) {
            placed.add(codec.codec().decode(r).transactionId());
          }
          for (String t : List.of(PizzaTopics.ORDER_COMPLETED, PizzaTopics.ORDER_FAILED)) {
            for (ConsumerRecord<byte[], byte[]> r : committed(b, t)) {
              outcomes.merge(codec.codec().decode(r).transactionId(), 1, Integer::sum);
            }
          }
        }
        assertThat(placed).hasSizeGreaterThanOrEqualTo(8);
        for (String tx : placed) {
          assertThat(outcomes.get(tx)).as("outcomes of order %s", tx).isEqualTo(1);
        }
        assertThat(outcomes).hasSameSizeAs(placed);
      } finally {
        k.interrupt();
        d.interrupt();
        k.join(Duration.ofSeconds(30));
        d.join(Duration.ofSeconds(30));
      }
    }
  }

  /** A kitchen or delivery role, in this JVM, until interrupted. */
  private static Thread role(PizzaDemo.Config config) {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return Thread.ofPlatform().name("pizza-" + config.role()).start(() -> {
      try {
        PizzaDemo.run(config, sink);
      } catch (InterruptedException e) {
        // stopped
      }
    });
  }

  private static List<ConsumerRecord<byte[], byte[]>> committed(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
      return out;
    }
  }

  /** {@code sagaflow ARGS} in a child JVM, its output collected line by line. */
  private record Child(Process process, List<String> output, Map<String, CompletableFuture<Void>> waits) {
    static Child start(String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
          "-cp", System.getProperty("java.class.path"), SagaflowCli.class.getName()));
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      Child c = new Child(p, Collections.synchronizedList(new ArrayList<>()),
          Collections.synchronizedMap(new HashMap<>()));
      Thread.ofPlatform().daemon().start(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            c.output.add(line);
            String l = line;
            c.waits.forEach((text, f) -> {
              if (l.contains(text)) {
                f.complete(null);
              }
            });
          }
        } catch (IOException e) {
          // the process was killed
        }
      });
      return c;
    }

    void awaitLine(String text, Duration timeout) throws Exception {
      CompletableFuture<Void> f = waits.computeIfAbsent(text, t -> new CompletableFuture<>());
      if (output.stream().anyMatch(l -> l.contains(text))) {
        return;
      }
      try {
        f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("no line with \"" + text + "\" within " + timeout + "; the output: " + output, e);
      }
    }
  }
}
