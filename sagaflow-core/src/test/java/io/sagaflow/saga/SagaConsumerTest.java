package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInfo;

/** The plain saga consumer (the stand-in for the Processor) against a real broker. */
@SuppressWarnings("try") // consumers in try-with-resources run by themselves
@ExtendWith(LeakCheck.class)
class SagaConsumerTest {
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

  private static SagaOptions options() {
    return SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers());
  }

  private static Map<String, Object> props() {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    return p;
  }

  private String topic(String name, int partitions) {
    String t = prefix + name;
    kafka.createTopic(t, partitions);
    return t;
  }

  private SagaConsumerOptions consumerOptions(String dlt) {
    return SagaConsumerOptions.of(prefix + "group", dlt).withDrainTimeout(Duration.ofSeconds(10));
  }

  private static long committed(String group, String topic) throws Exception {
    try (Admin admin = Admin.create(props())) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
          .mapToLong(e -> e.getValue().offset()).sum();
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      await("expected records").atMost(Duration.ofSeconds(60)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size() >= expected;
          });
      return records;
    }
  }

  @Test
  void aSagaReceivesAMessageCallsAFunctionWithTheActionAndCommitsAfterwards() throws Exception {
    String in = topic("IN", 2);
    CompletableFuture<Action<?>> seen = new CompletableFuture<>();
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, JsonNode.class,
            (action, ctx) -> ctx.call(a -> seen.complete(a), action), consumerOptions(topic("DLT", 1)))) {
      String tx = runtime.start(in, Map.of("pizza", "margherita"));
      Action<?> action = seen.get(60, TimeUnit.SECONDS);
      assertThat(action.transactionId()).isEqualTo(tx);
      assertThat(action.topic()).isEqualTo(in);
      assertThat(((JsonNode) action.payload()).get("pizza").asText()).isEqualTo("margherita");
      Await.until("the offset is committed", () -> {
        try {
          return committed(prefix + "group", in) == 1;
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(consumer.isAssigned()).isTrue();
    }
    Await.until("no sagaflow thread is left", () -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("sagaflow-")));
  }

  @Test
  void pizzaSagasTalkOverTopics() throws Exception {
    String placed = topic("ORDER_PLACED", 3);
    String create = topic("PIZZA_CREATE", 3);
    String created = topic("PIZZA_CREATE_SUCCESS", 3);
    String done = topic("ORDER_DONE", 1);
    String dlt = topic("DLT", 1);
    Saga<JsonNode> kitchen = (action, ctx) -> ctx.put(created, Map.of("pizza", action.payload().asText(), "oven", 1));
    Saga<JsonNode> order = (action, ctx) -> {
      ActionChannel<JsonNode> pizzas = ctx.actionChannel(created);
      ctx.put(create, action.payload());
      RaceResult r = ctx.race(Map.of("pizza", Effects.take(pizzas), "timeout", Effects.delay(Duration.ofSeconds(60))));
      ctx.put(done, r.key().equals("pizza") ? ((Action<?>) r.value()).payload() : "timeout");
    };
    Set<String> started = new HashSet<>();
    try (SagaRuntime kitchenRuntime = Sagas.runtime(options());
        SagaRuntime orderRuntime = Sagas.runtime(options());
        SagaConsumer kitchenConsumer = kitchenRuntime.consumer(create, JsonNode.class, kitchen,
            SagaConsumerOptions.of(prefix + "kitchen", dlt));
        SagaConsumer orderConsumer = orderRuntime.consumer(placed, JsonNode.class, order,
            SagaConsumerOptions.of(prefix + "orders", dlt))) {
      for (int i = 0; i < 5; i++) {
        started.add(orderRuntime.start(placed, "pizza-" + i));
      }
      Set<String> finished = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : readAll(done, 5)) {
        Action<JsonNode> a = orderRuntime.codec().decode(r);
        assertThat(a.payload().isObject()).as("reply, not timeout: " + a.payload()).isTrue();
        finished.add(a.transactionId());
      }
      assertThat(finished).isEqualTo(started);
    }
  }

  @Test
  void failedSagasAndUndecodableRecordsAreDeadLetteredAndCommittedPast() throws Exception {
    String in = topic("IN", 1);
    String dlt = topic("DLT", 1);
    try (SagaRuntime runtime = Sagas.runtime(options());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props(), new ByteArraySerializer(),
            new ByteArraySerializer());
        SagaConsumer consumer = runtime.consumer(in, JsonNode.class, (action, ctx) -> {
          throw new IllegalStateException("saga failed for " + action.transactionId());
        }, consumerOptions(dlt))) {
      producer.send(new ProducerRecord<>(in, "not json".getBytes(StandardCharsets.UTF_8))).get();
      String tx = runtime.start(in, "x");
      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>(readAll(dlt, 2));
      assertThat(dead).hasSize(2);
      // Dead-letter writes of different transactions are concurrent: order them by original offset.
      dead.sort(java.util.Comparator.comparingLong(
          r -> ByteBuffer.wrap(r.headers().lastHeader("kafka_dlt-original-offset").value()).getLong()));
      assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("not json");
      assertThat(header(dead.get(0), "kafka_dlt-exception-fqcn")).isEqualTo(ActionDecodingException.class.getName());
      assertThat(header(dead.get(0), "kafka_dlt-original-topic")).isEqualTo(in);
      assertThat(ByteBuffer.wrap(dead.get(0).headers().lastHeader("kafka_dlt-original-offset").value()).getLong())
          .isEqualTo(0L);
      assertThat(header(dead.get(1), "kafka_dlt-exception-message")).isEqualTo("saga failed for " + tx);
      assertThat(runtime.codec().decode(dead.get(1)).transactionId()).isEqualTo(tx);
      Await.until("the offsets are committed past both", () -> {
        try {
          return committed(prefix + "group", in) == 2;
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void actionsOfOneTransactionRunInOrderOthersConcurrently() throws Exception {
    String in = topic("IN", 1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch otherDone = new CountDownLatch(1);
    List<String> events = new CopyOnWriteArrayList<>();
    Saga<JsonNode> saga = (action, ctx) -> {
      String p = action.payload().asText();
      events.add("start " + p);
      if (p.equals("a1")) {
        ctx.call("wait", () -> release.await(60, TimeUnit.SECONDS));
      }
      events.add("end " + p);
      if (p.equals("b1")) {
        otherDone.countDown();
      }
    };
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, JsonNode.class, saga, consumerOptions(topic("DLT", 1)));
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props(), new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (Action<String> a : List.of(Action.of(in, "tx-a", "a1"), Action.of(in, "tx-a", "a2"),
          Action.of(in, "tx-b", "b1"))) {
        producer.send(runtime.codec().toRecord(a)).get();
      }
      assertThat(otherDone.await(60, TimeUnit.SECONDS)).isTrue();
      // b1 came after a2 on the only partition, so a2 was dispatched and must still wait for a1.
      assertThat(events).contains("start a1", "start b1", "end b1").doesNotContain("start a2", "end a1");
      assertThat(committed(prefix + "group", in)).as("nothing past the running a1").isZero();
      release.countDown();
      Await.until("a2 ran", () -> events.contains("end a2"));
      assertThat(events.indexOf("end a1")).isLessThan(events.indexOf("start a2"));
      Await.until("all three are committed", () -> {
        try {
          return committed(prefix + "group", in) == 3;
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  @Test
  void noMoreThanMaxInFlightSagasRunAtOnce() throws Exception {
    String in = topic("IN", 2);
    java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Saga<JsonNode> saga = (action, ctx) -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      ctx.call("wait", () -> {
        permits.acquire();
        return null;
      });
      running.decrementAndGet();
      finished.incrementAndGet();
    };
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, JsonNode.class, saga,
            consumerOptions(topic("DLT", 1)).withMaxInFlight(2))) {
      for (int i = 0; i < 6; i++) {
        runtime.start(in, i);
      }
      Await.until("two sagas run", () -> running.get() == 2);
      for (int i = 1; i <= 6; i++) {
        permits.release();
        int expected = i;
        Await.until(expected + " finished", () -> finished.get() == expected);
      }
      assertThat(maxRunning).hasValue(2);
      Await.until("all six are committed", () -> {
        try {
          return committed(prefix + "group", in) == 6;
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  @Test
  void manyConcurrentOrdersAcrossTwoRuntimesOfOneGroupAllGetTheirReplies() throws Exception {
    String placed = topic("ORDER_PLACED", 4);
    String create = topic("PIZZA_CREATE", 4);
    String created = topic("PIZZA_CREATE_SUCCESS", 4);
    String done = topic("ORDER_DONE", 1);
    String dlt = topic("DLT", 1);
    Saga<JsonNode> kitchen = (action, ctx) -> ctx.put(created, action.payload());
    Saga<JsonNode> order = (action, ctx) -> {
      ActionChannel<JsonNode> pizzas = ctx.actionChannel(created);
      ctx.put(create, action.payload());
      Action<JsonNode> pizza = ctx.take(pizzas);
      ctx.put(done, pizza.payload());
    };
    int orders = 60;
    Set<String> started = new HashSet<>();
    try (SagaRuntime kitchenRuntime = Sagas.runtime(options());
        SagaRuntime ordersA = Sagas.runtime(options());
        SagaRuntime ordersB = Sagas.runtime(options());
        SagaConsumer k = kitchenRuntime.consumer(create, JsonNode.class, kitchen,
            SagaConsumerOptions.of(prefix + "kitchen", dlt));
        SagaConsumer a = ordersA.consumer(placed, JsonNode.class, order, SagaConsumerOptions.of(prefix + "orders", dlt));
        SagaConsumer b = ordersB.consumer(placed, JsonNode.class, order, SagaConsumerOptions.of(prefix + "orders", dlt))) {
      Await.until("both order consumers own partitions", () -> a.isAssigned() && b.isAssigned());
      for (int i = 0; i < orders; i++) {
        started.add(kitchenRuntime.start(placed, "pizza-" + i));
      }
      Map<String, String> finished = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : readAll(done, orders)) {
        Action<JsonNode> action = kitchenRuntime.codec().decode(r);
        finished.put(action.transactionId(), action.payload().asText());
      }
      assertThat(finished.keySet()).isEqualTo(started);
      assertThat(new HashSet<>(finished.values())).hasSize(orders);
    }
  }
}
