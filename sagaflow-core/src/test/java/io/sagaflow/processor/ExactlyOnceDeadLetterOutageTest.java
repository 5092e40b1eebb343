package io.sagaflow.processor;

import io.sagaflow.embedded.LeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import static io.sagaflow.processor.KafkaTestSupport.bytes;
import static io.sagaflow.processor.KafkaTestSupport.committed;
import static io.sagaflow.processor.KafkaTestSupport.endOffsets;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryHealth;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once with a dead-letter topic that rejects writes (issue 14, item 1): the topic is
 * created with {@code max.message.bytes=200}, so every dead letter is too large for it. Only the
 * poison record's key and partition wait; the other partitions keep committing, no finished handler
 * runs again, health is DOWN naming the topic and the fix, and once the limit is lifted the dead
 * letter is written once and health is UP by itself.
 */
@ExtendWith(LeakCheck.class)
class ExactlyOnceDeadLetterOutageTest {
  private static final int PARTITIONS = 6;
  private static final int KEYS = 60;
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void aRejectedDeadLetterHoldsOnlyItsRecordAndRerunsNothing() throws Exception {
    String in = unique("eos-dlt-outage-in");
    String out = unique("eos-dlt-outage-out");
    String dlt = in + "-dlt";
    String group = unique("g");
    kafka.createTopic(in, PARTITIONS);
    kafka.createTopic(out, PARTITIONS);
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin.createTopics(List.of(new NewTopic(dlt, PARTITIONS, (short) 1)
          .configs(Map.of("max.message.bytes", "200")))).all().get(30, TimeUnit.SECONDS);
    }
    Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
    AtomicInteger failureHandlerCalls = new AtomicInteger();
    RetryPolicy policy = RetryPolicy.defaults().withRetryTopicDelays(List.of()).withInPlaceAttempts(1);
    try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(kafka.bootstrapServers(), group)
            .withPolicy(policy).withCreateTopics(false));
        Processor<String, String> p = Processor.forRecords(options(kafka, group, in)
            .withOrdering(Ordering.KEY)
            .withFailureHandler(failed -> {
              failureHandlerCalls.incrementAndGet();
              return recovery.onFailure(failed);
            })
            .withExactlyOnce(), r -> {
              handled.computeIfAbsent(r.value(), v -> new AtomicInteger()).incrementAndGet();
              if (r.value().equals("poison")) {
                throw new IllegalArgumentException("always fails: goes to the dead-letter topic");
              }
              r.send(out, r.key(), r.value());
            }).start()) {
      List<String> expected = new ArrayList<>(produce(in, 0, 300));
      RecordMetadata poison = send(in, "k7", "poison");
      TopicPartition poisonTp = new TopicPartition(in, poison.partition());

      Awaitility.await("recovery health DOWN naming the dead-letter topic and the fix")
          .atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(recovery.health()).isEqualTo(RecoveryHealth.DOWN);
            assertThat(recovery.lastPublishFailure()).get().extracting(Throwable::getMessage).asString()
                .contains("dead-letter topic " + dlt + " rejects writes", "RecordTooLargeException", "max.message.bytes");
          });
      Awaitility.await("processor health DOWN naming the cause")
          .atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ProcessorStatus s = p.status();
            assertThat(s.health()).isEqualTo(ProcessorStatus.Health.DOWN);
            assertThat(s.problems()).anySatisfy(problem -> assertThat(problem)
                .contains(dlt + " rejects writes", "RecordTooLargeException", "max.message.bytes"));
            assertThat(s.lastError()).get().extracting(Throwable::getMessage).asString()
                .contains(dlt + " rejects writes").doesNotContain("error state");
            assertThat(s.stalledRecords()).singleElement()
                .satisfies(r -> assertThat(r.partition()).isEqualTo(poisonTp))
                .satisfies(r -> assertThat(r.offset()).isEqualTo(poison.offset()));
          });

      // The outage goes on: new input on every partition is processed and committed, all but
      // the poison record's partition up to its end.
      expected.addAll(produce(in, 300, 600));
      Map<TopicPartition, Long> end = endOffsets(kafka, in, PARTITIONS);
      Awaitility.await("every other partition committed to its end while the dead letter is rejected")
          .atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<TopicPartition, OffsetAndMetadata> c = committed(kafka, group);
            for (int i = 0; i < PARTITIONS; i++) {
              TopicPartition tp = new TopicPartition(in, i);
              if (!tp.equals(poisonTp)) {
                assertThat(c.get(tp)).as("committed %s", tp).isNotNull();
                assertThat(c.get(tp).offset()).as("committed %s", tp).isEqualTo(end.get(tp));
              }
            }
          });
      OffsetAndMetadata held = committed(kafka, group).get(poisonTp);
      assertThat(held == null ? 0 : held.offset()).as("the poison record's partition is held at it")
          .isLessThanOrEqualTo(poison.offset());
      assertThat(recovery.health()).isEqualTo(RecoveryHealth.DOWN);
      // No mass re-run: each record ran once. At most twice, not once, because an unrelated
      // transaction failure (a commit that times out on a loaded machine) rewinds and re-runs
      // once; the bug re-ran every record of every partition some 40 times.
      // Records of the poison record's key that came after it wait behind it (key order); all
      // others ran.
      List<String> behindPoison = new ArrayList<>();
      for (int i = 300; i < 600; i++) {
        if (i % KEYS == 7) {
          behindPoison.add("v" + i);
        }
      }
      assertThat(handled).doesNotContainKeys(behindPoison.toArray(String[]::new));
      assertThat(handled).containsKeys(expected.stream().filter(v -> !behindPoison.contains(v)).toArray(String[]::new));
      handled.forEach((value, n) -> assertThat(n.get()).as("runs of %s", value).isBetween(1, 2));
      // Rejected writes are retried with backoff (at most one every 5 s once it has grown), not
      // in a storm.
      int callsDuringOutage = failureHandlerCalls.get();
      assertThat(callsDuringOutage).isBetween(1, 40);

      long fixedAt = System.nanoTime();
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, dlt),
            List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE))))
            .all().get(30, TimeUnit.SECONDS);
      }
      Awaitility.await("the poison record's partition commits past it once the topic accepts the dead letter")
          .atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            OffsetAndMetadata c = committed(kafka, group).get(poisonTp);
            assertThat(c).isNotNull();
            assertThat(c.offset()).isEqualTo(end.get(poisonTp));
          });
      double resumedAfterSeconds = (System.nanoTime() - fixedAt) / 1e9;
      // The backoff is capped at 5 s, and the topic config takes a moment to reach the broker.
      assertThat(resumedAfterSeconds).as("seconds from the fix to the commit past the poison record").isLessThan(15);
      Awaitility.await("health UP again by itself").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(recovery.health()).isEqualTo(RecoveryHealth.UP);
        assertThat(p.status().health()).isEqualTo(ProcessorStatus.Health.UP);
        assertThat(p.status().stalledRecords()).isEmpty();
      });

      assertThat(readCommitted(dlt, 1)).as("dead letters, read_committed").singleElement()
          .satisfies(d -> assertThat(d.value()).isEqualTo("poison"));
      List<String> outputs = readCommitted(out, expected.size()).stream().map(ConsumerRecord::value).toList();
      assertThat(outputs).hasSameSizeAs(expected).containsExactlyInAnyOrderElementsOf(expected);
      handled.forEach((value, n) -> assertThat(n.get()).as("runs of %s", value).isBetween(1, 2));
      assertThat(handled.get("poison").get()).as("the poison record's handler ran once: its write was retried, "
          + "not the record").isBetween(1, 2);
    }
  }

  /** Records {@code "<from>".."<to - 1>"} with keys spread over {@link #KEYS} keys; their values. */
  private static List<String> produce(String topic, int from, int to) {
    List<String> values = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      for (int i = from; i < to; i++) {
        String value = "v" + i;
        values.add(value);
        producer.send(new ProducerRecord<>(topic, bytes("k" + (i % KEYS)), bytes(value)));
      }
      producer.flush();
    }
    return values;
  }

  private static RecordMetadata send(String topic, String key, String value) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      return producer.send(new ProducerRecord<>(topic, bytes(key), bytes(value))).get(30, TimeUnit.SECONDS);
    }
  }

  /** Everything committed in {@code topic}, read once {@code expected} records are there and 1 s longer. */
  private static List<ConsumerRecord<String, String>> readCommitted(String topic, int expected) {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, unique("reader"));
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      Awaitility.await("read_committed records of " + topic).atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(1)).pollDelay(Duration.ZERO)
          .until(() -> {
            c.poll(Duration.ofMillis(100)).forEach(got::add);
            return got.size() >= expected;
          });
      // Then poll a second longer: a copy written twice would show here.
      long quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (System.nanoTime() < quietUntil) {
        c.poll(Duration.ofMillis(100)).forEach(got::add);
      }
    }
    return got;
  }
}
