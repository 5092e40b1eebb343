package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.saga.internal.DurableSagaConsumer;
import io.sagaflow.saga.internal.JournalWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Durable sagas against a real broker: a consumer is stopped as a crash would stop it (nothing
 * queued is written, no saga ended) and a second consumer of the group resumes its sagas from the
 * journal. A {@code read_committed} checker counts the puts.
 */
@ExtendWith(LeakCheck.class)
class DurableSagaTest {
  private static EmbeddedKafka kafka;
  private static final AtomicInteger UNIQUE = new AtomicInteger();
  private String prefix;

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  @BeforeEach
  void names(TestInfo info) {
    prefix = info.getTestMethod().orElseThrow().getName() + "-" + UNIQUE.incrementAndGet() + "-";
  }

  private String topic(String name) {
    String t = prefix + name;
    kafka.createTopic(t, 1);
    return t;
  }

  private static SagaRuntime runtime() {
    return Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers()));
  }

  private SagaConsumerOptions durable() {
    return SagaConsumerOptions.of(prefix + "group").durable().withDrainTimeout(Duration.ofSeconds(5));
  }

  /** Every record of {@code topic} a read_committed reader sees now. */
  private static List<ConsumerRecord<byte[], byte[]>> committed(String topic) {
    return DurableTestKit.committed(kafka, topic);
  }

  private static List<String> transactions(SagaRuntime runtime, String topic) {
    return DurableTestKit.transactions(kafka, runtime, topic);
  }

  /** Sends a reply the way the npm package does: no key. */
  private static void replyWithoutKey(SagaRuntime runtime, String topic, String tx, Object payload) {
    DurableTestKit.replyWithoutKey(kafka, runtime, topic, tx, payload);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return DurableTestKit.header(r, name);
  }

  @Test
  void aSagaCrashedWhileWaitingResumesOnAnotherConsumerWithEveryPutOnceAndTheReplySentMeanwhile() {
    String orders = topic("ORDER");
    String request = topic("REQUEST");
    String middle = topic("MIDDLE");
    String replies = topic("REPLY");
    String done = topic("DONE");
    Saga<JsonNode> saga = (action, ctx) -> {
      ActionChannel<JsonNode> channel = ctx.actionChannel(replies);
      ctx.put(request, action.payload());
      ctx.put(middle, ctx.take(channel).payload());
      ctx.put(done, ctx.take(channel).payload());
    };
    String tx;
    try (SagaRuntime first = runtime()) {
      SagaConsumer consumer = first.consumer(orders, JsonNode.class, saga, durable());
      tx = first.start(orders, Map.of("pizza", "margherita"));
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(first, request).contains(tx));
      replyWithoutKey(first, replies, tx, "first");
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(first, middle).contains(tx));
      ((DurableSagaConsumer<?>) consumer).halt(); // a crash: the saga waits for its second reply, unended
      // The second reply arrives while no consumer owns the saga.
      replyWithoutKey(first, replies, tx, "second");
    }
    try (SagaRuntime second = runtime();
        SagaConsumer consumer = second.consumer(orders, JsonNode.class, saga, durable())) {
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(second, done).contains(tx));
      assertThat(transactions(second, request)).as("journaled puts are not repeated").containsExactly(tx);
      assertThat(transactions(second, middle)).containsExactly(tx);
      List<ConsumerRecord<byte[], byte[]>> last = committed(done);
      assertThat(last).hasSize(1);
      assertThat(((JsonNode) second.codec().decode(last.get(0)).payload()).asText())
          .as("the replayed channel does not deliver the reply its journaled take consumed").isEqualTo("second");
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(journal()).stream().anyMatch(r -> r.value() == null
          && "completed".equals(header(r, JournalWriter.STATUS_HEADER))));
      assertThat(consumer.deadLetters()).isZero();
    }
  }

  private String journal() {
    return prefix + "group" + DurableOptions.JOURNAL_SUFFIX;
  }

  @Test
  void inputFromATransactionalProducerIsCommittedPastItsMarkerSoNoLagRemains() throws Exception {
    String orders = topic("ORDER");
    String done = topic("DONE");
    Saga<JsonNode> saga = (action, ctx) -> ctx.put(done, action.payload());
    try (SagaRuntime runtime = runtime();
        SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, durable());
        KafkaProducer<byte[], byte[]> input = new KafkaProducer<>(Map.of("bootstrap.servers",
            kafka.bootstrapServers(), "transactional.id", prefix + "input"), new ByteArraySerializer(),
            new ByteArraySerializer());
        org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      input.initTransactions();
      input.beginTransaction();
      input.send(new ProducerRecord<>(orders, runtime.codec().encodeValue(Action.of(orders, "tx-1", "one"))));
      input.send(new ProducerRecord<>(orders, runtime.codec().encodeValue(Action.of(orders, "tx-2", "two"))));
      input.commitTransaction(); // offsets 0 and 1, its commit marker at 2
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).size() == 2);
      TopicPartition tp = new TopicPartition(orders, 0);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(admin.listConsumerGroupOffsets(
          prefix + "group").partitionsToOffsetAndMetadata().get().get(tp))
          .as("the committed offset passes the marker: lag 0, not 1").isNotNull()
          .extracting(org.apache.kafka.clients.consumer.OffsetAndMetadata::offset).isEqualTo(3L));
    }
  }

  @Test
  void withAnInstanceIdACrashedConsumerRestartsWithoutWaitingForItsGroupSession() {
    String orders = topic("ORDER");
    String request = topic("REQUEST");
    String replies = topic("REPLY");
    String done = topic("DONE");
    Saga<JsonNode> saga = (action, ctx) -> {
      ActionChannel<JsonNode> channel = ctx.actionChannel(replies);
      ctx.put(request, action.payload());
      ctx.put(done, ctx.take(channel).payload());
    };
    SagaConsumerOptions pod = durable().withDurable(DurableOptions.defaults().withInstanceId(prefix + "pod-0"));
    // A session far longer than the test may wait: only static membership gets the partition back in time.
    SagaOptions longSession = SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers())
        .withKafkaProperty("session.timeout.ms", "120000");
    String tx;
    try (SagaRuntime first = Sagas.runtime(longSession)) {
      SagaConsumer consumer = first.consumer(orders, JsonNode.class, saga, pod);
      tx = first.start(orders, "margherita");
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(first, request).contains(tx));
      ((DurableSagaConsumer<?>) consumer).halt(false); // kill -9: no journal write, no leaving the group
    }
    try (SagaRuntime second = Sagas.runtime(longSession);
        SagaConsumer consumer = second.consumer(orders, JsonNode.class, saga, pod)) {
      await().atMost(Duration.ofSeconds(30)).until(consumer::isAssigned);
      replyWithoutKey(second, replies, tx, "baked");
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(second, done).contains(tx));
      assertThat(transactions(second, request)).as("the journaled put is not repeated").containsExactly(tx);
    }
  }

  @Test
  void anInstanceIdThatIsNotAKafkaIdentifierIsRefusedWithTheRule() {
    assertThatThrownBy(() -> DurableOptions.defaults().withInstanceId("pod 0"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("letters, digits");
  }

  @Test
  void aDelayRestoredMidwayEndsAtItsDeadlineNotAFullDelayAfterTheRestart() {
    String orders = topic("ORDER");
    String done = topic("DONE");
    Duration delay = Duration.ofSeconds(5);
    Saga<JsonNode> saga = (action, ctx) -> {
      ctx.delay(delay);
      ctx.put(done, "late");
    };
    long sentAt = System.currentTimeMillis();
    String tx;
    long restartAt;
    try (SagaRuntime first = runtime()) {
      SagaConsumer consumer = first.consumer(orders, JsonNode.class, saga, durable());
      tx = first.start(orders, Map.of());
      // The delay's deadline is journaled; let a third of it pass before the crash.
      await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> committed(journal())
          .stream().anyMatch(r -> r.value() != null && new String(r.value(), StandardCharsets.UTF_8)
              .contains("\"k\":\"delay\"")));
      ((DurableSagaConsumer<?>) consumer).halt();
      restartAt = System.currentTimeMillis();
    }
    try (SagaRuntime second = runtime();
        SagaConsumer consumer = second.consumer(orders, JsonNode.class, saga, durable())) {
      await().atMost(Duration.ofSeconds(30)).until(consumer::isAssigned);
      long assignedAt = System.currentTimeMillis();
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(second, done).contains(tx));
      long doneAt = committed(done).get(0).timestamp();
      assertThat(doneAt - sentAt).as("no earlier than its deadline").isGreaterThanOrEqualTo(delay.toMillis());
      assertThat(doneAt - restartAt).as("not a full delay after the restart")
          .isLessThan(delay.toMillis() - 1_000);
      // 3 s of slack: the restore reads the journal and reruns the saga, and CI shares 2 cores between
      // two test JVMs; `sagaflow chaos sagas --delay` checks the tighter bound on a quiet machine.
      assertThat(doneAt).as("at its deadline, or right after the restore when that came later")
          .isLessThanOrEqualTo(Math.max(sentAt + delay.toMillis(), assignedAt) + 3_000);
    }
  }

  @Test
  void aSagaWhoseCodeChangedIsDeadLetteredAndTheOtherSagaOfThePartitionCompletes() {
    String orders = topic("ORDER");
    String step = topic("STEP");
    String replies = topic("REPLY");
    String done = topic("DONE");
    String deadLetters = topic("ORDER-dlt");
    Saga<JsonNode> codeA = (action, ctx) -> {
      ctx.put(step, action.payload());
      ctx.put(done, ctx.take(replies).payload());
    };
    Saga<JsonNode> codeB = (action, ctx) -> {
      if (action.payload().get("changed").asBoolean()) {
        ctx.call("charge", () -> 1); // the new code calls first where the old one put
      } else {
        ctx.put(step, action.payload());
      }
      ctx.put(done, ctx.take(replies).payload());
    };
    String changed;
    String unchanged;
    try (SagaRuntime first = runtime()) {
      SagaConsumer consumer = first.consumer(orders, JsonNode.class, codeA, durable());
      changed = first.start(orders, Map.of("changed", true));
      unchanged = first.start(orders, Map.of("changed", false));
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(first, step).size() == 2);
      ((DurableSagaConsumer<?>) consumer).halt();
      replyWithoutKey(first, replies, unchanged, "ok");
    }
    try (SagaRuntime second = runtime();
        SagaConsumer consumer = second.consumer(orders, JsonNode.class, codeB, durable())) {
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(second, done).contains(unchanged));
      await().atMost(Duration.ofSeconds(30)).until(() -> !committed(deadLetters).isEmpty());
      List<ConsumerRecord<byte[], byte[]>> dead = committed(deadLetters);
      assertThat(dead).hasSize(1);
      assertThat(second.codec().decode(dead.get(0)).transactionId()).isEqualTo(changed);
      assertThat(header(dead.get(0), "kafka_dlt-exception-message"))
          .contains("non-determinism", "saga " + orders, "effect 1", "put(" + step + ")", "call(charge)");
      assertThat(consumer.deadLetters()).isEqualTo(1);
      assertThat(transactions(second, step)).as("no put repeated").containsExactlyInAnyOrder(changed, unchanged);
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(journal()).stream().anyMatch(r -> r.value() == null
          && "failed".equals(header(r, JournalWriter.STATUS_HEADER))
          && header(r, JournalWriter.ERROR_HEADER).contains("non-determinism")));
    }
  }

  /**
   * Whether the run of {@code tx} has journaled where {@code replyTopic} stood when its take
   * subscribed: a reply sent from then on reaches it, across a restart too.
   */
  private boolean listensTo(String tx, String replyTopic) {
    return committed(journal()).stream()
        .map(r -> r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8))
        .anyMatch(json -> json.contains("\"tx\":\"" + tx + "\"")
            && json.contains("\"t\":\"" + replyTopic + "\""));
  }

  @Test
  void aDeployWithAVersionMarkerKeepsRunsPastItOnTheOldBranchAndSendsTheOthersDownTheNewOne() {
    String orders = topic("ORDER");
    String first = topic("R1");
    String ship = topic("SHIP");
    String shipByCall = topic("SHIP2");
    String second = topic("R2");
    String done = topic("DONE");
    Saga<JsonNode> release1 = (action, ctx) -> {
      ctx.take(first);
      ctx.put(ship, 1);
      ctx.take(second);
      ctx.put(done, "v" + SagaContext.DEFAULT_VERSION);
    };
    Saga<JsonNode> release2 = (action, ctx) -> {
      ctx.take(first);
      int v = ctx.version("ship", SagaContext.DEFAULT_VERSION, 1);
      ctx.put(v >= 1 ? shipByCall : ship, v);
      ctx.take(second);
      ctx.put(done, "v" + v);
    };
    String past;
    String before;
    try (SagaRuntime runtime = runtime()) {
      SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, release1, durable());
      past = runtime.start(orders, Map.of());
      before = runtime.start(orders, Map.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> listensTo(past, first) && listensTo(before, first));
      replyWithoutKey(runtime, first, past, "go");
      await().atMost(Duration.ofSeconds(30)).until(() -> listensTo(past, second));
      ((DurableSagaConsumer<?>) consumer).halt(); // `past` waits on R2, after the marker's place; `before` on R1
    }
    try (SagaRuntime runtime = runtime();
        SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, release2, durable())) {
      replyWithoutKey(runtime, first, before, "go");
      replyWithoutKey(runtime, second, past, "go");
      await().atMost(Duration.ofSeconds(30)).until(() -> listensTo(before, second));
      replyWithoutKey(runtime, second, before, "go");
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).size() == 2);
      Map<String, String> results = new java.util.HashMap<>();
      committed(done).forEach(r -> results.put(runtime.codec().decode(r).transactionId(),
          ((JsonNode) runtime.codec().decode(r).payload()).asText()));
      assertThat(results).as("the run journaled past the marker keeps the old branch, the other takes the new")
          .containsEntry(past, "v-1").containsEntry(before, "v1");
      assertThat(transactions(runtime, ship)).as("no put repeated").containsExactly(past);
      assertThat(transactions(runtime, shipByCall)).containsExactly(before);
      assertThat(consumer.deadLetters()).isZero();
    }
  }

  @Test
  void aJournalTopicWithAnotherPartitionCountThanTheInputIsRefusedWithTheFix() {
    String orders = prefix + "ORDER";
    kafka.createTopic(orders, 2);
    kafka.createTopic(journal(), 1);
    try (SagaRuntime runtime = runtime()) {
      assertThatThrownBy(() -> runtime.consumer(orders, JsonNode.class, (a, ctx) -> {}, durable()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(journal() + " has 1 partitions but the input topic " + orders + " has 2")
          .hasMessageContaining("SagaConsumerOptions.withJournalTopic");
    }
  }
}
