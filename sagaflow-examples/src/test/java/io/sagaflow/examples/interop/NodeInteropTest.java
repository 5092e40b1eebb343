package io.sagaflow.examples.interop;

import io.sagaflow.embedded.LeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.Branch;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import io.sagaflow.testkit.NodePackages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java and Node sagas in one transaction, Node on the real npm package ({@code kafka-sagas@17.1.0}
 * with {@code kafkajs@1.15.0}, installed under {@code target/}) against the embedded broker:
 *
 * <ol>
 *   <li>Java starts a transaction on {@code ORDER}; the Node kitchen saga consumes it (Java to Node)
 *       and puts {@code NODE_BAKED} with the order plus fields the Java type lacks ({@code size});
 *   <li>a Java saga consumer takes {@code NODE_BAKED} typed (Node to Java, unkeyed, extra field),
 *       opens a channel, puts {@code DELIVER} with a field Node does not know (Java to Node);
 *   <li>the Node driver saga calls a two-argument function and puts {@code NODE_DELIVERED} with the
 *       Java payload plus fields of its own; the Java channel takes it (Node to Java) and the Java
 *       saga puts {@code DONE}.
 * </ol>
 *
 * Skipped, with the reason, only where Node or npm is missing or the npm registry is unreachable.
 */
@ExtendWith(LeakCheck.class)
class NodeInteropTest {
  private static final String KAFKA_SAGAS = "17.1.0";
  private static final String KAFKAJS = "1.15.0";
  private static final String PREFIX = "iop-";

  private static EmbeddedKafka kafka;
  private static Path npmDir;

  /** The order Java starts the transaction with. */
  public record Order(String id, String item) {}

  /** What the Java saga knows of the Node kitchen's answer (Node adds {@code size}). */
  public record Baked(String id, String item, String bakedBy) {}

  @BeforeAll
  static void installPackagesAndStartKafka() throws Exception {
    npmDir = Path.of("target", "kafka-sagas-" + KAFKA_SAGAS + "-kafkajs-" + KAFKAJS).toAbsolutePath();
    switch (NodePackages.install(npmDir, Map.of("kafka-sagas", KAFKA_SAGAS, "kafkajs", KAFKAJS))) {
      case NodePackages.Ready ready -> { }
      case NodePackages.Unavailable u -> Assumptions.abort(u.reason() + ": Node interop not tested");
      case NodePackages.Failed f -> throw new AssertionError(f.reason());
    }
    try (InputStream script = NodeInteropTest.class.getResourceAsStream("/interop/node-sagas.js")) {
      Files.copy(Objects.requireNonNull(script, "interop/node-sagas.js"), npmDir.resolve("node-sagas.js"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static void stop(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void javaAndNodeSagasExchangeActionsBothWaysWithExtraFields() throws Exception {
    String order = PREFIX + "ORDER";
    String baked = PREFIX + "NODE_BAKED";
    String deliver = PREFIX + "DELIVER";
    String delivered = PREFIX + "NODE_DELIVERED";
    String done = PREFIX + "DONE";
    String dlt = PREFIX + "DLT";
    for (String t : List.of(order, baked, deliver, done, dlt)) {
      kafka.createTopic(t, 1);
    }
    kafka.createTopic(delivered, 2); // Node writes no key: the reply may land on either partition

    Saga<Baked> javaSaga = (action, ctx) -> {
      ActionChannel<JsonNode> deliveries = ctx.actionChannel(delivered);
      ctx.put(deliver, Map.of("id", action.payload().id(), "item", action.payload().item(), "note", "ring twice"));
      Branch<Action<JsonNode>> reply = Branch.of("delivered", Effects.take(deliveries));
      RaceResult r = ctx.race(reply, Branch.of("timeout", Effects.delay(Duration.ofSeconds(90))));
      if (!r.won(reply)) {
        throw new IllegalStateException("the Node driver saga did not answer within 90 s");
      }
      JsonNode d = r.value(reply).payload();
      ctx.put(done, Map.of("id", action.payload().id(), "bakedBy", action.payload().bakedBy(),
          "driver", d.path("driver").asText(), "eta", d.path("eta").asText(), "note", d.path("note").asText()));
    };
    // Default options: payload fields the Java types do not declare (Node's "size", "note") are ignored.
    SagaOptions options = SagaOptions.defaults().withBootstrapServers(kafka.bootstrapServers());

    Path log = npmDir.resolve("node-sagas-" + ProcessHandle.current().pid() + ".log");
    Process node = new ProcessBuilder("node", "node-sagas.js", kafka.bootstrapServers(), PREFIX)
        .directory(npmDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try (SagaRuntime runtime = Sagas.runtime(options);
        SagaConsumer consumer = runtime.consumer(baked, Baked.class, javaSaga,
            SagaConsumerOptions.of(PREFIX + "java", dlt))) {
      await("the Node sagas run").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            String out = Files.readString(log);
            if (!node.isAlive()) {
              throw new AssertionError("the Node sagas exited (" + node.exitValue() + "):\n" + out);
            }
            return out.contains("READY");
          });
      String tx = runtime.start(order, new Order("o-1", "margherita"));

      List<ConsumerRecord<byte[], byte[]>> finished = read(done, 1, Duration.ofSeconds(120), node, log);
      Action<JsonNode> outcome = runtime.codec().decode(finished.get(0));
      assertThat(outcome.transactionId()).isEqualTo(tx);
      assertThat(outcome.payload().path("id").asText()).isEqualTo("o-1");
      assertThat(outcome.payload().path("bakedBy").asText()).isEqualTo("node");
      assertThat(outcome.payload().path("driver").asText()).isEqualTo("node");
      assertThat(outcome.payload().path("eta").asText()).isEqualTo("margherita in 12 min");
      assertThat(outcome.payload().path("note").asText()).as("Java's extra field, through Node").isEqualTo("ring twice");

      ConsumerRecord<byte[], byte[]> fromNode = read(baked, 1, Duration.ofSeconds(10), node, log).get(0);
      assertThat(fromNode.key()).as("kafka-sagas writes no key").isNull();
      Action<JsonNode> nodeAction = runtime.codec().decode(fromNode);
      assertThat(nodeAction.transactionId()).isEqualTo(tx);
      assertThat(nodeAction.payload().path("size").asText()).as("the field Baked lacks").isEqualTo("large");
      assertThat(endOffset(dlt)).as("nothing was dead-lettered").isZero();
    } finally {
      node.getOutputStream().close(); // the script exits when its stdin closes
      stop(node);
    }
    assertThat(node.isAlive()).isFalse();
  }

  private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int expected, Duration timeout,
      Process node, Path log) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      await(expected + " records on " + topic).atMost(timeout).pollInSameThread().pollInterval(Duration.ZERO)
          .failFast("the Node sagas exited", () -> !node.isAlive())
          .until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size() >= expected;
          });
      return records;
    } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
      throw new AssertionError(e.getMessage() + "; Node output:\n" + readQuietly(log), e);
    }
  }

  private static long endOffset(String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      return consumer.endOffsets(List.of(tp)).get(tp);
    }
  }

  private static String readQuietly(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
