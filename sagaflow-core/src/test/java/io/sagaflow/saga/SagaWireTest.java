package io.sagaflow.saga;

import io.sagaflow.embedded.LeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicDefaults;
import io.sagaflow.kafka.TopicSpec;
import io.sagaflow.recovery.MicrometerRecoveryListener;
import io.sagaflow.saga.internal.KafkaReplyRouter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * What a saga consumer does with what other producers (the npm package) write, and how it finds
 * its topics, against a real broker: unknown payload fields, dead letters that show, unkeyed
 * actions, topic administration, the default dead-letter topic and a switched-off timeout.
 */
@SuppressWarnings("try") // consumers in try-with-resources run by themselves
@ExtendWith(LeakCheck.class)
class SagaWireTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static EmbeddedKafka kafka;
  private static final AtomicInteger UNIQUE = new AtomicInteger();
  private String prefix;

  /** The Java side's type: declares {@code pizza} only. */
  record Order(String pizza) {}

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

  private static ClusterOptions cluster() {
    return ClusterOptions.of(kafka.bootstrapServers());
  }

  private static SagaOptions options() {
    return SagaOptions.defaults().withCluster(cluster());
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

  /** Writes raw values as another producer would: no key, the given partition. */
  private static void sendUnkeyed(String topic, List<Integer> partitions, List<String> values) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < values.size(); i++) {
        producer.send(new ProducerRecord<>(topic, partitions.get(i), null,
            values.get(i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      // The topic may be created by what the test waits for (a put, a dead letter).
      await().atMost(WAIT).until(() -> !consumer.partitionsFor(topic).isEmpty());
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      await().atMost(WAIT).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return records.size() >= expected;
      });
      return records;
    }
  }

  private static long committed(String group, String topic) throws Exception {
    try (Admin admin = Admin.create(props())) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
          .mapToLong(e -> e.getValue().offset()).sum();
    }
  }

  private static TopicDescription describe(String topic) throws Exception {
    try (Admin admin = Admin.create(props())) {
      return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  // --- unknown payload fields ---------------------------------------------------------------

  @Test
  void aPayloadWithAFieldTheJavaTypeDoesNotDeclareReachesTheSaga() throws Exception {
    String in = topic("ORDERS", 1);
    CompletableFuture<Action<Order>> seen = new CompletableFuture<>();
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, Order.class, (action, ctx) -> seen.complete(action),
            prefix + "group")) {
      sendUnkeyed(in, List.of(0),
          List.of("{\"transaction_id\":\"tx-node\",\"payload\":{\"pizza\":\"margherita\",\"size\":\"large\"}}"));
      Action<Order> action = seen.get(60, TimeUnit.SECONDS);
      assertThat(action.payload()).isEqualTo(new Order("margherita"));
      assertThat(action.transactionId()).isEqualTo("tx-node");
      await().atMost(WAIT).until(() -> committed(prefix + "group", in) == 1);
      assertThat(consumer.deadLetters()).isZero();
    }
  }

  @Test
  void inStrictModeAPayloadWithAnUnknownFieldIsDeadLetteredToTheDefaultTopic() throws Exception {
    String in = topic("ORDERS", 1);
    AtomicInteger runs = new AtomicInteger();
    try (SagaRuntime runtime = Sagas.runtime(options().withStrictPayloads());
        SagaConsumer consumer = runtime.consumer(in, Order.class, (action, ctx) -> runs.incrementAndGet(),
            prefix + "group")) {
      sendUnkeyed(in, List.of(0),
          List.of("{\"transaction_id\":\"tx-node\",\"payload\":{\"pizza\":\"margherita\",\"size\":\"large\"}}"));
      // The dead-letter topic defaults to <topic>-dlt (created like its input, as no administrator is set).
      List<ConsumerRecord<byte[], byte[]>> dead = readAll(in + "-dlt", 1);
      assertThat(dead).hasSize(1);
      assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).contains("\"size\":\"large\"");
      assertThat(header(dead.get(0), "kafka_dlt-exception-fqcn")).isEqualTo(ActionDecodingException.class.getName());
      assertThat(header(dead.get(0), "kafka_dlt-exception-message")).contains("size");
      await().atMost(WAIT).until(() -> committed(prefix + "group", in) == 1);
      assertThat(consumer.deadLetters()).isEqualTo(1);
      assertThat(runs).hasValue(0);
    }
  }

  // --- dead letters leave a trace -----------------------------------------------------------

  @Test
  void everyDeadLetterIsCountedAndTheFirstIsLoggedWithTopicPartitionOffsetAndReason() throws Exception {
    String in = topic("IN", 1);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PrintStream originalErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, Order.class, (action, ctx) -> {
          throw new IllegalStateException("oven broken");
        }, SagaConsumerOptions.of(prefix + "group").withRecoveryListener(MicrometerRecoveryListener.of(registry)))) {
      // Unkeyed, one partition: they run one at a time in offset order, so offset 0 fails first.
      sendUnkeyed(in, List.of(0, 0, 0), List.of(
          "not json",
          "{\"payload\":{\"pizza\":\"margherita\"}}",
          "{\"transaction_id\":\"tx-1\",\"payload\":{\"pizza\":\"margherita\"}}"));
      await().atMost(WAIT).until(() -> consumer.deadLetters() == 3);
      assertThat(registry.get("sagaflow.recovery.dead.lettered").tag("topic", in).counters().stream()
          .mapToDouble(c -> c.count()).sum()).isEqualTo(3.0);
      assertThat(registry.get("sagaflow.recovery.dead.lettered").tag("topic", in)
          .tag("exception", "IllegalStateException").counter().count()).isEqualTo(1.0);
    } finally {
      System.setErr(originalErr);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains("saga dead letter: topic=" + in + " ")).toList();
    assertThat(lines).isNotEmpty();
    assertThat(lines.get(0)).contains("WARN").contains("partition=0 offset=0").contains("written to " + in + "-dlt")
        .contains("reason: not a valid action").contains("is not JSON");
    assertThat(readAll(in + "-dlt", 3)).hasSize(3);
  }

  // --- unkeyed actions ----------------------------------------------------------------------

  @Test
  void unkeyedActionsOfOneTransactionRunOneAtATimeInOffsetOrderWithinEachPartition() throws Exception {
    String in = topic("UNKEYED", 3);
    int perPartition = 15;
    Map<Integer, List<Integer>> seenByPartition = new ConcurrentHashMap<>();
    Map<Integer, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<Integer, Integer> maxRunning = new ConcurrentHashMap<>();
    Set<String> transactions = ConcurrentHashMap.newKeySet();
    List<Integer> partitions = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 3 * perPartition; i++) {
      // Placed as a partitioner without a key places records: one transaction spread over all partitions.
      partitions.add(i % 3);
      values.add("{\"transaction_id\":\"tx-spread\",\"payload\":{\"seq\":" + i + ",\"partition\":" + (i % 3) + "}}");
    }
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, SpreadPayload.class, (action, ctx) -> {
          int p = action.payload().partition();
          int now = running.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet();
          maxRunning.merge(p, now, Math::max);
          seenByPartition.computeIfAbsent(p, k -> new CopyOnWriteArrayList<>()).add(action.payload().seq());
          transactions.add(action.transactionId());
          ctx.delay(Duration.ofMillis(5)); // a saga that takes a while, so overlapping runs would show
          running.get(p).decrementAndGet();
        }, prefix + "group")) {
      sendUnkeyed(in, partitions, values);
      await().atMost(WAIT).until(() -> seenByPartition.values().stream().mapToInt(List::size).sum() == values.size());
      await().atMost(WAIT).until(() -> committed(prefix + "group", in) == values.size());
      assertThat(consumer.deadLetters()).isZero();
    }
    assertThat(transactions).containsExactly("tx-spread");
    for (int p = 0; p < 3; p++) {
      List<Integer> expected = new ArrayList<>();
      for (int i = p; i < 3 * perPartition; i += 3) {
        expected.add(i);
      }
      assertThat(seenByPartition.get(p)).as("order of partition %d", p).containsExactlyElementsOf(expected);
      assertThat(maxRunning.get(p)).as("sagas at once on partition %d", p).isEqualTo(1);
    }
  }

  /** The payload of the unkeyed test. */
  record SpreadPayload(int seq, int partition) {}

  // --- topic administration -----------------------------------------------------------------

  @Test
  void aConsumerOnAMissingTopicSaysWhichTopicsAreMissingAndHowToFixIt() throws Exception {
    String missing = prefix + "MISSING";
    try (SagaRuntime runtime = Sagas.runtime(options())) {
      assertThatThrownBy(() -> runtime.consumer(missing, Order.class, (action, ctx) -> {}, prefix + "group"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("topics " + missing + " and its dead-letter topic " + missing + "-dlt do not exist")
          .hasMessageContaining("Create them")
          .hasMessageContaining("SagaOptions.withTopicAdministrator");
    }
    try (TopicAdministrator probe = TopicAdministrator.create(cluster())) {
      assertThat(probe.missingTopics(List.of(missing, missing + "-dlt"))).containsExactly(missing, missing + "-dlt");
    }
  }

  @Test
  void aTopicAdministratorCreatesConsumerPutAndReplyTopicsAsConfigured() throws Exception {
    String in = prefix + "IN";
    String out = prefix + "OUT";
    String reply = prefix + "REPLY";
    TopicDefaults defaults = TopicDefaults.of(3).withReplicationFactor(1).withConfig("retention.ms", "3600000")
        .withTopic(TopicSpec.of(out, 2));
    try (TopicAdministrator topics = TopicAdministrator.create(cluster(), defaults);
        SagaRuntime runtime = Sagas.runtime(options().withTopicAdministrator(topics));
        SagaConsumer consumer = runtime.consumer(in, Order.class,
            (action, ctx) -> ctx.put(out, action.payload()), prefix + "group")) {
      assertThat(describe(in).partitions()).hasSize(3);
      assertThat(describe(in + "-dlt").partitions()).hasSize(3);
      String tx = runtime.start(in, new Order("diavola"));
      List<ConsumerRecord<byte[], byte[]>> puts = readAll(out, 1);
      assertThat(new String(puts.get(0).key(), StandardCharsets.UTF_8)).isEqualTo(tx);
      assertThat(describe(out).partitions()).hasSize(2);
      try (Admin admin = Admin.create(props())) {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, in);
        assertThat(admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res)
            .get("retention.ms").value()).isEqualTo("3600000");
      }
      // Takes and channels: following a missing reply topic creates it instead of failing.
      try (KafkaReplyRouter router = new KafkaReplyRouter(cluster(), Map.of(), runtime.codec(), WAIT, topics);
          ActionSource.Subscription s = router.subscribe(tx, Set.of(reply), a -> {})) {
        assertThat(describe(reply).partitions()).hasSize(3);
      }
    }
  }

  @Test
  void theAdministratorCreatesTopicsIdempotentlyAndLeavesExistingOnesAlone() throws Exception {
    String existing = topic("EXISTING", 1);
    String fresh = prefix + "FRESH";
    try (TopicAdministrator topics = TopicAdministrator.create(cluster(), TopicDefaults.of(4))) {
      topics.ensureTopics(existing, fresh);
      topics.ensureTopics(existing, fresh);
      topics.ensureCompanionTopics(fresh, List.of(fresh + "-dlt"));
      assertThatThrownBy(() -> topics.ensureCompanionTopics(prefix + "NONE", List.of(prefix + "NONE-dlt")))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(prefix + "NONE does not exist");
    }
    assertThat(describe(existing).partitions()).hasSize(1);
    assertThat(describe(fresh).partitions()).hasSize(4);
    assertThat(describe(fresh + "-dlt").partitions()).hasSize(4);
  }

  // --- timeout switched off -----------------------------------------------------------------

  @Test
  void withoutTimeoutTheInputStaysInFlightUntilTheSagaEnds() throws Exception {
    String in = topic("SLOW", 1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    try (SagaRuntime runtime = Sagas.runtime(options().withoutTimeout());
        SagaConsumer consumer = runtime.consumer(in, Order.class, (action, ctx) -> {
          started.countDown();
          release.await();
        }, prefix + "group")) {
      try {
        runtime.start(in, new Order("quattro stagioni"));
        assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).until(() -> runtime.running() == 1); // registered just after its thread started
        assertThat(committed(prefix + "group", in)).isZero();
      } finally {
        release.countDown();
      }
      await().atMost(WAIT).until(() -> committed(prefix + "group", in) == 1);
      assertThat(consumer.deadLetters()).isZero();
    }
  }

  @Test
  void theCodecIgnoresUnknownFieldsUnlessStrict() {
    ActionCodec codec = ActionCodec.create();
    Action<Order> a = codec.convert(Action.of("T", "tx", Map.of("pizza", "x", "extra", 1)), Order.class);
    assertThat(a.payload()).isEqualTo(new Order("x"));
    assertThatThrownBy(() -> codec.withStrictPayloads()
        .convert(Action.of("T", "tx", Map.of("pizza", "x", "extra", 1)), Order.class))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("extra");
  }
}
