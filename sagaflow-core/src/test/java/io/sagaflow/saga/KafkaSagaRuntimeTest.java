package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInfo;

/** The Kafka-facing pieces against a real (embedded) broker. */
@ExtendWith(LeakCheck.class)
class KafkaSagaRuntimeTest {
  private static EmbeddedKafka kafka;
  private static final AtomicInteger UNIQUE = new AtomicInteger();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private SagaRuntime runtime;
  private KafkaProducer<byte[], byte[]> producer;
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
  void setUp(TestInfo info) {
    prefix = info.getTestMethod().orElseThrow().getName() + "-" + UNIQUE.incrementAndGet() + "-";
    runtime = Sagas.runtime(options());
    producer = new KafkaProducer<>(props(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterEach
  void tearDown() {
    producer.close();
    runtime.close();
  }

  private SagaOptions options() {
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

  private void produce(String topic, String transactionId, Object payload) throws Exception {
    producer.send(runtime.codec().toRecord(new Action<>(topic, transactionId, payload, Map.of()))).get(30, TimeUnit.SECONDS);
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      await("expected records").atMost(Duration.ofSeconds(30)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size() >= expected;
          });
      return records;
    }
  }

  private static Object join(CompletableFuture<?> f) throws Exception {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void putsWriteTheNpmFormatWithKeyAndCarriedHeaders() throws Exception {
    String out = topic("OUT", 3);
    Action<String> trigger = new Action<>("BEGIN", "tx-put", "hello",
        Map.of("trace-id", "abc".getBytes(StandardCharsets.UTF_8)));
    join(runtime.run((action, ctx) -> ctx.put(out, Map.of("echo", action.payload())), trigger));

    List<ConsumerRecord<byte[], byte[]>> records = readAll(out, 1);
    assertThat(records).hasSize(1);
    ConsumerRecord<byte[], byte[]> r = records.get(0);
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("tx-put");
    assertThat(MAPPER.readTree(r.value()))
        .isEqualTo(MAPPER.readTree("{\"transaction_id\":\"tx-put\",\"payload\":{\"echo\":\"hello\"}}"));
    assertThat(r.headers().lastHeader("trace-id").value()).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void startGeneratesATransactionIdAndPutsIt() throws Exception {
    String begin = topic("BEGIN", 1);
    String tx = runtime.start(begin, Map.of("n", 1));
    assertThat(tx).isNotBlank();
    Action<JsonNode> action = runtime.codec().decode(readAll(begin, 1).get(0));
    assertThat(action.transactionId()).isEqualTo(tx);
    assertThat(action.payload().get("n").asInt()).isEqualTo(1);
  }

  @Test
  void aReplyProducedRightAfterActionChannelReturnsIsNeverMissed() throws Exception {
    // Each round follows a topic for the first time, the case where a late position would miss it.
    for (int round = 0; round < 4; round++) {
      String replies = topic("REPLY" + round, 3);
      String tx = "tx-round-" + round;
      CountDownLatch opened = new CountDownLatch(1);
      CompletableFuture<Void> run = runtime.run((action, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel(replies);
        opened.countDown();
        ctx.put(prefix + "GOT", ctx.take(ch).payload());
      }, Action.of("BEGIN", tx, null));
      assertThat(opened.await(60, TimeUnit.SECONDS)).isTrue();
      produce(replies, tx, "reply-" + round);
      join(run);
    }
    // And many sagas on an already followed topic.
    String shared = topic("SHARED", 3);
    for (int i = 0; i < 20; i++) {
      String tx = "tx-shared-" + i;
      CountDownLatch opened = new CountDownLatch(1);
      CompletableFuture<Void> run = runtime.run((action, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel(shared);
        opened.countDown();
        ctx.take(ch);
      }, Action.of("BEGIN", tx, null));
      assertThat(opened.await(60, TimeUnit.SECONDS)).isTrue();
      produce(shared, tx, i);
      join(run);
    }
  }

  @Test
  void aReplyOnAPartitionAddedWhileTheSagaWaitsArrives() throws Exception {
    String replies = topic("GROWING", 1);
    // Metadata refreshed every 300 ms, so the router looks for new partitions that often.
    try (SagaRuntime fast = Sagas.runtime(options().withKafkaProperty("metadata.max.age.ms", 300));
        Admin admin = Admin.create(props())) {
      CountDownLatch opened = new CountDownLatch(1);
      CompletableFuture<Void> run = fast.run((action, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel(replies);
        opened.countDown();
        ctx.put(prefix + "GOT", ctx.take(ch).payload());
      }, Action.of("BEGIN", "tx-growing", null));
      assertThat(opened.await(60, TimeUnit.SECONDS)).isTrue();
      admin.createPartitions(Map.of(replies, NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);
      ProducerRecord<byte[], byte[]> reply =
          fast.codec().toRecord(new Action<>(replies, "tx-growing", "late", Map.of()));
      producer.send(new ProducerRecord<>(replies, 1, reply.key(), reply.value(), reply.headers()))
          .get(30, TimeUnit.SECONDS); // on the new partition
      join(run);
    }
  }

  @Test
  void repliesAreDispatchedByTransactionIdBetweenConcurrentSagas() throws Exception {
    String replies = topic("REPLY", 3);
    String got = topic("GOT", 1);
    int sagas = 12;
    CountDownLatch allOpen = new CountDownLatch(sagas);
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (int i = 0; i < sagas; i++) {
      runs.add(runtime.run((action, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel(replies);
        allOpen.countDown();
        Action<JsonNode> reply = ctx.take(ch);
        ctx.put(got, action.transactionId() + "=" + reply.payload().asText());
      }, Action.of("BEGIN", "tx-" + i, null)));
    }
    assertThat(allOpen.await(60, TimeUnit.SECONDS)).isTrue();
    for (int i = sagas - 1; i >= 0; i--) {
      produce(replies, "tx-" + i, "for-" + i);
    }
    for (CompletableFuture<Void> run : runs) {
      join(run);
    }
    Set<String> seen = ConcurrentHashMap.newKeySet();
    for (ConsumerRecord<byte[], byte[]> r : readAll(got, sagas)) {
      seen.add(runtime.codec().decode(r).payload().asText());
    }
    Set<String> expected = new java.util.HashSet<>();
    for (int i = 0; i < sagas; i++) {
      expected.add("tx-" + i + "=for-" + i);
    }
    assertThat(seen).isEqualTo(expected);
  }

  @Test
  void requestReplyBetweenTwoSagasOverKafka() throws Exception {
    String request = topic("REQUEST", 1);
    String response = topic("RESPONSE", 1);
    // The responder: a saga run per request record, read here by a plain consumer.
    Saga<JsonNode> responder = (action, ctx) -> ctx.put(response, action.payload().asInt() * 2);
    CompletableFuture<Object> result = new CompletableFuture<>();
    CompletableFuture<Void> requester = runtime.run((action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel(response);
      ctx.put(request, 21);
      RaceResult r = ctx.race(Map.of("reply", Effects.take(ch), "timeout", Effects.delay(Duration.ofSeconds(60))));
      result.complete(r.key().equals("reply") ? ((Action<?>) r.value()).payload() : "timeout");
    }, Action.of("BEGIN", "tx-rr", null));
    ConsumerRecord<byte[], byte[]> req = readAll(request, 1).get(0);
    join(runtime.run(responder, JsonNode.class, req));
    join(requester);
    assertThat(result.get()).hasToString("42");
  }

  @Test
  void aRecordThatIsNotAnActionFailsTheRunWithADecodingError() {
    ConsumerRecord<byte[], byte[]> bad = new ConsumerRecord<>("IN", 0, 3L, null,
        "{\"payload\":1}".getBytes(StandardCharsets.UTF_8));
    AtomicInteger ran = new AtomicInteger();
    assertThatThrownBy(() -> join(runtime.run((action, ctx) -> ran.incrementAndGet(), JsonNode.class, bad)))
        .isInstanceOf(ActionDecodingException.class)
        .hasMessageContaining("IN-0@3 has no transaction_id");
    assertThat(ran).hasValue(0);
  }

  @Test
  void aSagaThatExceedsItsTimeoutIsCancelled() throws Exception {
    String never = topic("NEVER", 1);
    runtime.close();
    runtime = Sagas.runtime(options().withSagaTimeout(Duration.ofMillis(300)));
    CompletableFuture<Throwable> seenBySaga = new CompletableFuture<>();
    CompletableFuture<Void> run = runtime.run((action, ctx) -> {
      try {
        ctx.take(never);
      } catch (SagaCancelledException e) {
        seenBySaga.complete(e);
        throw e;
      }
    }, Action.of("BEGIN", "tx-timeout", null));
    assertThatThrownBy(() -> join(run)).isInstanceOf(TimeoutException.class)
        .hasMessageContaining("did not finish within PT0.3S");
    assertThat(seenBySaga.get(10, TimeUnit.SECONDS)).isInstanceOf(SagaCancelledException.class);
    assertThat(runtime.running()).isZero();
  }

  @Test
  void takingFromATopicThatDoesNotExistFailsClearly() {
    String missing = prefix + "MISSING";
    assertThatThrownBy(() -> join(runtime.run((action, ctx) -> ctx.take(missing), Action.of("BEGIN", "tx-m", null))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("topic " + missing + " does not exist");
  }

  @Test
  void theTopicAdministratorCreatesTopicsIdempotently() throws Exception {
    String name = prefix + "CREATED";
    try (TopicAdministrator admin = TopicAdministrator.create(ClusterOptions.of(kafka.bootstrapServers()))) {
      TopicSpec spec = TopicSpec.of(name, 4).withReplicationFactor(1).withConfig("retention.ms", "3600000");
      admin.ensureTopics(List.of(spec));
      admin.ensureTopics(List.of(spec));
    }
    try (Admin admin = Admin.create(props())) {
      TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name);
      assertThat(d.partitions()).hasSize(4);
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, name);
      assertThat(admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res)
          .get("retention.ms").value()).isEqualTo("3600000");
    }
  }

  @Test
  void closingTheRuntimeStopsItsThreads() {
    runtime.close();
    Await.until("the reply router thread ended", () -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals("sagaflow-reply-router") && t.isAlive()));
    runtime = Sagas.runtime(options());
  }
}
