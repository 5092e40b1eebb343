package io.sagaflow.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.FailedRecord;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryHeaders;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import picocli.CommandLine;

@ExtendWith(LeakCheck.class)
class DlqCommandTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void seedDeadLetters() throws Exception {
    kafka = EmbeddedKafka.start();
    kafka.createTopic("orders", 2);
    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(1).withRetryTopicDelays(List.of());
    try (RecoveryHandler recovery = Recovery.handler(
        RecoveryOptions.of(kafka.bootstrapServers(), "orders-service").withPolicy(policy))) {
      recovery.createTopics("orders");
      for (int i = 0; i < 6; i++) {
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("orders", i % 2, 100 + i,
            ("order-" + i).getBytes(UTF_8), ("{\"total\":" + i + "}").getBytes(UTF_8));
        Exception error = i < 4 ? new IllegalStateException("card declined " + i) : new ArithmeticException("overflow " + i);
        recovery.onFailure(new FailedRecord(raw, error, 1, "orders-service"));
      }
    }
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  private static SagaflowCliTest.Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = SagaflowCli.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new SagaflowCliTest.Run(code, out.toString(), err.toString());
  }

  @Test
  void listShowAndReplayDeadLettersExactlyOnce() {
    String b = kafka.bootstrapServers();
    SagaflowCliTest.Run list = run("dlq", "list", "--topic", "orders-dlt", "--bootstrap-servers", b);
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out()).contains("6 dead letters in orders-dlt", "IllegalStateException", "card declined 0",
        "orders-0@100");

    SagaflowCliTest.Run filtered = run("dlq", "list", "--topic", "orders-dlt", "--bootstrap-servers", b,
        "--filter", "exception=Arithmetic");
    assertThat(filtered.out()).contains("2 dead letters in orders-dlt").doesNotContain("card declined");

    SagaflowCliTest.Run show = run("dlq", "show", "--topic", "orders-dlt", "--bootstrap-servers", b,
        "--partition", "0", "--offset", "0");
    assertThat(show.exitCode()).as(show.err()).isZero();
    assertThat(show.out()).contains("from          orders-0@100", "group         orders-service",
        "exception     java.lang.IllegalStateException", "value         {\"total\":0}", "stack trace")
        .containsPattern("kafka_dlt-original-offset +100\\n").containsPattern("kafka_dlt-original-topic +orders\\n");

    SagaflowCliTest.Run dry = run("dlq", "replay", "--topic", "orders-dlt", "--bootstrap-servers", b, "--dry-run",
        "--filter", "exception=IllegalState");
    assertThat(dry.out()).contains("4/4  would replay 4", "dry run of orders-dlt to original: matched 4, would replay 4")
        .doesNotContainPattern("(?<!already )replayed [1-9]");
    assertThat(readAll("orders", 0)).isEmpty();

    SagaflowCliTest.Run replay = run("dlq", "replay", "--topic", "orders-dlt", "--bootstrap-servers", b,
        "--filter", "exception=IllegalState");
    assertThat(replay.exitCode()).as(replay.err()).isZero();
    assertThat(replay.out()).contains("[##############################] 4/4", "matched 4, replayed 4, already replayed 0");

    SagaflowCliTest.Run all = run("dlq", "replay", "--topic", "orders-dlt", "--bootstrap-servers", b);
    assertThat(all.out()).contains("matched 6, replayed 2, already replayed 4, failed 0");
    List<String> copies = readAll("orders", 6).stream().map(r -> new String(r.key(), UTF_8)).sorted().toList();
    assertThat(copies).containsExactly("order-0", "order-1", "order-2", "order-3", "order-4", "order-5");
  }

  @Test
  void helpListsEachSubcommandOnACompleteLine() {
    SagaflowCliTest.Run help = run("dlq", "--help");
    assertThat(help.out()).contains("a re-run skips those already", "copied.").doesNotContain("so that");
  }

  @Test
  void headersShowNumbersOnlyWhereSagaflowWritesNumbers() {
    // An 8-letter topic name is text, not a long (it once showed as "p3-in-r1 (or 8084855686903460401)").
    assertThat(DlqCommand.renderHeader(RecoveryHeaders.DLT_ORIGINAL_TOPIC, "p3-in-r1".getBytes(UTF_8)))
        .isEqualTo("p3-in-r1");
    assertThat(DlqCommand.renderHeader(RecoveryHeaders.ATTEMPTS, ByteBuffer.allocate(4).putInt(3).array()))
        .isEqualTo("3");
    assertThat(DlqCommand.renderHeader(RecoveryHeaders.FAILED_AT, ByteBuffer.allocate(8).putLong(0).array()))
        .isEqualTo("0 (1970-01-01T00:00:00Z)");
    assertThat(DlqCommand.renderHeader("other", new byte[] {0, 1})).isEqualTo("base64:AAE= (2 bytes)");
  }

  @Test
  void aMissingLetterSaysWhereToLook() {
    SagaflowCliTest.Run show = run("dlq", "show", "--topic", "orders-dlt", "--bootstrap-servers",
        kafka.bootstrapServers(), "--partition", "0", "--offset", "999");
    assertThat(show.exitCode()).isEqualTo(1);
    assertThat(show.err()).contains("no dead letter at orders-dlt/0/999", "sagaflow dlq list --topic orders-dlt");
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      if (expected == 0) { // nothing may arrive: read for a second, the caller checks
        await("a second of " + topic).during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).pollInSameThread()
            .pollInterval(Duration.ofMillis(1)).until(() -> {
              c.poll(Duration.ofMillis(100)).forEach(out::add);
              return true;
            });
      } else {
        await(expected + " records of " + topic).atMost(Duration.ofSeconds(30)).pollInSameThread()
            .pollInterval(Duration.ofMillis(1)).until(() -> {
              c.poll(Duration.ofMillis(100)).forEach(out::add);
              return out.size() >= expected;
            });
      }
    }
    return out;
  }
}
