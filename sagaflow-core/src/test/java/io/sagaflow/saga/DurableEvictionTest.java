package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.saga.internal.DurableSagaConsumer;
import io.sagaflow.saga.internal.JournalWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Idle durable sagas are evicted from memory ({@link DurableOptions#withEvictIdleAfter}) and
 * rebuilt from their journal when a reply or their deadline comes; a {@code read_committed}
 * checker counts the puts.
 */
@ExtendWith(LeakCheck.class)
class DurableEvictionTest {
  private static final Duration IDLE = Duration.ofMillis(300);
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
    return topic(name, 1);
  }

  private String topic(String name, int partitions) {
    String t = prefix + name;
    kafka.createTopic(t, partitions);
    return t;
  }

  private static SagaRuntime runtime() {
    return Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers()));
  }

  private SagaConsumerOptions evicting() {
    return SagaConsumerOptions.of(prefix + "group")
        .withDurable(DurableOptions.defaults().withEvictIdleAfter(IDLE))
        .withDrainTimeout(Duration.ofSeconds(5));
  }

  /**
   * A new owner that keeps resumed sagas resident for an hour: whatever is evicted there, its
   * restore left so.
   */
  private SagaConsumerOptions keeping() {
    return SagaConsumerOptions.of(prefix + "group")
        .withDurable(DurableOptions.defaults().withEvictIdleAfter(Duration.ofHours(1)))
        .withDrainTimeout(Duration.ofSeconds(5));
  }

  private static List<ConsumerRecord<byte[], byte[]>> committed(String topic) {
    return DurableTestKit.committed(kafka, topic);
  }

  private static List<String> transactions(SagaRuntime runtime, String topic) {
    return DurableTestKit.transactions(kafka, runtime, topic);
  }

  private static List<String> payloads(SagaRuntime runtime, String topic) {
    return committed(topic).stream().map(r -> ((JsonNode) runtime.codec().decode(r).payload()).asText()).toList();
  }

  /** A reply as the npm package sends it: no key. */
  private static void reply(SagaRuntime runtime, String topic, String tx, Object payload) {
    DurableTestKit.replyWithoutKey(kafka, runtime, topic, tx, payload);
  }

  private String journal() {
    return prefix + "group" + DurableOptions.JOURNAL_SUFFIX;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return DurableTestKit.header(r, name);
  }

  @Test
  void anEvictedSagaIsRebuiltByItsReplyAndCompletesOnceWithEveryPutOnce() {
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
    try (SagaRuntime runtime = runtime();
        SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, evicting())) {
      DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
      String tx = runtime.start(orders, Map.of("pizza", "margherita"));
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, request).contains(tx));
      await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == 1);
      assertThat(consumer.residentSagas()).as("evicted, not resident").isZero();

      reply(runtime, replies, tx, "first"); // wakes it: rebuilt, replayed, then its first take returns
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, middle).contains(tx));
      // Idle again in its second take: evicted a second time, with a journaled take behind it.
      await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == 1);
      assertThat(consumer.residentSagas()).isZero();

      reply(runtime, replies, tx, "second");
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).contains(tx));
      assertThat(payloads(runtime, done)).as("the rebuilt channel does not deliver the reply a journaled take"
          + " returned").containsExactly("second");
      assertThat(transactions(runtime, request)).as("journaled puts are not repeated by a rebuild")
          .containsExactly(tx);
      assertThat(payloads(runtime, middle)).containsExactly("first");
      await().atMost(Duration.ofSeconds(30)).until(() -> committed(journal()).stream().anyMatch(r -> r.value() == null
          && "completed".equals(header(r, JournalWriter.STATUS_HEADER))));
      assertThat(committed(journal()).stream().filter(r -> r.value() == null).count())
          .as("ended once").isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> consumer.residentSagas() == 0 && durable.evictedSagas() == 0);
      assertThat(consumer.deadLetters()).isZero();
    }
  }

  @Test
  void aRestoreLeavesWaitingSagasEvictedAndAReplySentWhileNoOwnerRanStillWakesItsSaga() {
    String orders = topic("ORDER");
    String request = topic("REQUEST");
    String middle = topic("MIDDLE");
    String replies = topic("REPLY");
    String done = topic("DONE");
    Saga<JsonNode> saga = (action, ctx) -> {
      ctx.put(request, action.payload());
      ctx.put(middle, ctx.take(replies).payload());
      ctx.put(done, ctx.take(replies).payload());
    };
    try (SagaRuntime runtime = runtime()) {
      String early;
      String late;
      String second;
      try (SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, evicting())) {
        DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
        early = runtime.start(orders, Map.of("order", 1));
        late = runtime.start(orders, Map.of("order", 2));
        second = runtime.start(orders, Map.of("order", 3));
        await().atMost(Duration.ofSeconds(30))
            .until(() -> transactions(runtime, request).containsAll(List.of(early, late, second)));
        reply(runtime, replies, second, "first");
        await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, middle).contains(second));
        // Evicted means journaled: the first two wait in their first take, the third in its second.
        await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == 3);
        durable.halt(); // a crash: nothing is ended
      }
      reply(runtime, replies, early, "while down"); // no owner runs: only the restore's catch-up can find it

      try (SagaRuntime restarted = runtime();
          SagaConsumer consumer = restarted.consumer(orders, JsonNode.class, saga, keeping())) {
        DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
        await().atMost(Duration.ofSeconds(60)).until(() -> transactions(runtime, middle).contains(early));
        // The catch-up reads the reply topic in order: the third saga's old reply (its journaled take
        // returned it) came before the one that woke the first saga, so a wrong wake would show now.
        await().atMost(Duration.ofSeconds(30))
            .until(() -> durable.evictedSagas() == 2 && consumer.residentSagas() == 1);
        assertThat(payloads(runtime, middle)).containsExactlyInAnyOrder("first", "while down");

        reply(restarted, replies, late, "live"); // wakes the second through its router subscription
        reply(restarted, replies, second, "second");
        reply(restarted, replies, early, "last");
        await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, middle).contains(late));
        reply(restarted, replies, late, "late last");
        await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).size() == 3);
        assertThat(payloads(runtime, done)).containsExactlyInAnyOrder("second", "last", "late last");
        assertThat(payloads(runtime, middle)).containsExactlyInAnyOrder("first", "while down", "live");
      }
      assertThat(transactions(runtime, request)).as("no put repeated").containsExactlyInAnyOrder(early, late, second);
    }
  }

  @Test
  void aRestoreOfSeveralPartitionsAtOnceWakesEverySagaAReplyArrivedForWhileNoOwnerRan() {
    String orders = topic("ORDER", 3);
    String request = topic("REQUEST");
    String middle = topic("MIDDLE");
    String replies = topic("REPLY");
    java.util.concurrent.atomic.AtomicBoolean restarted = new java.util.concurrent.atomic.AtomicBoolean();
    Saga<JsonNode> saga = (action, ctx) -> {
      if (restarted.get() && action.payload().get("order").asInt() == 0) {
        // A slow saga (its code takes 2 s before its first effect): its partition's restore decides
        // last, after the other partitions' catch-ups started with runs of theirs decided meanwhile.
        Thread.sleep(2_000);
      }
      ctx.put(request, action.payload());
      ctx.put(middle, ctx.take(replies).payload());
    };
    int sagas = 24; // spread over the 3 input partitions by their transaction ids
    try (SagaRuntime runtime = runtime()) {
      List<String> started = new java.util.ArrayList<>();
      try (SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, evicting())) {
        DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
        for (int i = 0; i < sagas; i++) {
          started.add(runtime.start(orders, Map.of("order", i)));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, request).containsAll(started));
        await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == sagas);
        durable.halt(); // a crash: nothing is ended
      }
      assertThat(committed(orders).stream().map(ConsumerRecord::partition).distinct().count())
          .as("the sagas start on every input partition").isEqualTo(3);
      for (String tx : started) {
        reply(runtime, replies, tx, "while down"); // no owner runs: only the restore's catch-ups can find them
      }

      restarted.set(true);
      try (SagaRuntime again = runtime();
          SagaConsumer consumer = again.consumer(orders, JsonNode.class, saga, keeping())) {
        // One new owner restores the three partitions at once, each with a catch-up of its own.
        await().atMost(Duration.ofSeconds(60)).until(() -> transactions(runtime, middle).size() == sagas);
        assertThat(transactions(runtime, middle)).containsExactlyInAnyOrderElementsOf(started);
        await().atMost(Duration.ofSeconds(30)).until(() -> consumer.residentSagas() == 0);
      }
      assertThat(transactions(runtime, request)).as("no put repeated").containsExactlyInAnyOrderElementsOf(started);
    }
  }

  @Test
  void aDelayThatOutlivesTheEvictionEndsAtItsDeadline() {
    String orders = topic("ORDER");
    String done = topic("DONE");
    Duration delay = Duration.ofSeconds(3);
    Saga<JsonNode> saga = (action, ctx) -> {
      ctx.delay(delay);
      ctx.put(done, "late");
    };
    try (SagaRuntime runtime = runtime();
        SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, evicting())) {
      DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
      await().atMost(Duration.ofSeconds(30)).until(consumer::isAssigned);
      long sentAt = System.currentTimeMillis();
      String tx = runtime.start(orders, Map.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == 1);
      assertThat(consumer.residentSagas()).isZero();
      assertThat(transactions(runtime, done)).as("evicted before its deadline").isEmpty();
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).contains(tx));
      long doneAt = committed(done).get(0).timestamp();
      assertThat(doneAt - sentAt).as("no earlier than its deadline").isGreaterThanOrEqualTo(delay.toMillis());
      // 2 s of slack on a shared CI machine: a rebuild replays from the journal bytes in memory.
      assertThat(doneAt - sentAt).as("at its deadline, not a full delay after the rebuild")
          .isLessThan(delay.toMillis() + 2_000);
      assertThat(transactions(runtime, done)).containsExactly(tx);
      assertThat(consumer.deadLetters()).isZero();
    }
  }

  @Test
  void aRaceWhoseTimeoutFiresWhileEvictedTakesTheTimeoutBranchAndALaterReplyIsNotDelivered() {
    String orders = topic("ORDER");
    String replies = topic("REPLY");
    String done = topic("DONE");
    Saga<JsonNode> saga = (action, ctx) -> {
      // The delay declared first: its branch must pass its claim turn while it waits, or the take
      // would not start (and the run never be idle) until the delay ends.
      Map<String, Effect<?>> branches = new LinkedHashMap<>();
      branches.put("timeout", Effects.delay(Duration.ofSeconds(3)));
      branches.put("reply", Effects.take(replies));
      RaceResult r = ctx.race(branches);
      ctx.put(done, r.key());
    };
    try (SagaRuntime runtime = runtime();
        SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, evicting())) {
      DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
      String tx = runtime.start(orders, Map.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).contains(tx));
      assertThat(payloads(runtime, done)).containsExactly("timeout");
      reply(runtime, replies, tx, "too late");
      await().atMost(Duration.ofSeconds(10)).until(() -> consumer.residentSagas() == 0 && durable.evictedSagas() == 0);
      assertThat(payloads(runtime, done)).containsExactly("timeout");
    }
  }

  @Test
  void aRestoreLeavesSagasWaitingInARaceEvictedAndTheirReplyOrTheirDeadlineStillEndsTheRace() {
    String orders = topic("ORDER");
    String replies = topic("REPLY");
    String done = topic("DONE");
    Duration timeout = Duration.ofSeconds(6);
    Saga<JsonNode> saga = (action, ctx) -> {
      Map<String, Effect<?>> branches = new LinkedHashMap<>();
      branches.put("reply", Effects.take(replies));
      branches.put("timeout", Effects.delay(timeout));
      ctx.put(done, ctx.race(branches).key());
    };
    try (SagaRuntime runtime = runtime()) {
      String answered;
      String forgotten;
      long startedAt = System.currentTimeMillis();
      try (SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, evicting())) {
        DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
        answered = runtime.start(orders, Map.of("order", 1));
        forgotten = runtime.start(orders, Map.of("order", 2));
        await().atMost(Duration.ofSeconds(30)).until(() -> durable.evictedSagas() == 2); // journaled
        durable.halt();
      }
      reply(runtime, replies, answered, "while down");
      try (SagaRuntime restarted = runtime();
          SagaConsumer consumer = restarted.consumer(orders, JsonNode.class, saga, keeping())) {
        DurableSagaConsumer<?> durable = (DurableSagaConsumer<?>) consumer;
        await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).contains(answered));
        assertThat(payloads(runtime, done)).as("the reply that came while no owner ran wins").containsExactly("reply");
        // Not rebuilt by the restore: left evicted, with a timer for its timeout.
        assertThat(durable.evictedSagas()).isEqualTo(1);
        assertThat(consumer.residentSagas()).as("the answered saga ended; the other is not resident").isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> transactions(runtime, done).contains(forgotten));
        assertThat(payloads(runtime, done)).containsExactlyInAnyOrder("reply", "timeout");
        long doneAt = committed(done).stream().mapToLong(ConsumerRecord::timestamp).max().orElseThrow();
        assertThat(doneAt - startedAt).as("no earlier than its timeout").isGreaterThanOrEqualTo(timeout.toMillis());
      }
    }
  }
}
