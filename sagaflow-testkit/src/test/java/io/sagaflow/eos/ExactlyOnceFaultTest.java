package io.sagaflow.eos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.testkit.ChildJvm;
import io.sagaflow.testkit.DeliveryCheck;
import io.sagaflow.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly-once processing under faults, checked by an independent {@code read_committed} reader:
 * a processor SIGKILLed mid-run, a zombie frozen until the group moved on, repeated rebalances.
 */
@ExtendWith(LeakCheck.class) // registered before the KafkaExtension field: checks after the broker stopped
class ExactlyOnceFaultTest {
  /** The broker aborts timed-out transactions of dead or frozen producers within a second. */
  @RegisterExtension
  static final KafkaExtension KAFKA = KafkaExtension.withOptions(EmbeddedKafkaOptions.defaults()
      .withBrokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")
      .withBrokerProperty("group.min.session.timeout.ms", "1000"));

  private static final AtomicInteger SEQ = new AtomicInteger();

  private static String unique(String prefix) {
    return prefix + "-" + SEQ.incrementAndGet() + "-" + System.nanoTime() % 100_000;
  }

  /** Produces {@code count} records over {@code keys} keys, valued {@code key:seq}; returns the values. */
  private static List<String> produce(EmbeddedKafka kafka, String topic, int count, int keys) {
    return produceMore(kafka, topic, count, keys, new HashMap<>());
  }

  /** Sum of the group's committed offsets over the topic. */
  private static long committed(EmbeddedKafka kafka, String group) {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      Map<TopicPartition, OffsetAndMetadata> m =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return m == null ? 0 : m.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long endOffsets(EmbeddedKafka kafka, String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (int i = 0; i < partitions; i++) {
        req.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      return admin.listOffsets(req).all().get(30, TimeUnit.SECONDS).values().stream()
          .mapToLong(r -> r.offset()).sum();
    }
  }

  private static void assertExactlyOnce(EmbeddedKafka kafka, String out, List<String> expected) {
    DeliveryCheck.Report report = DeliveryCheck.read(kafka.bootstrapServers(), out, expected, Duration.ofSeconds(2));
    assertThat(report.lost()).as("lost, e.g. %s", report.lostSample()).isZero();
    assertThat(report.duplicates()).as("duplicates").isZero();
    assertThat(report.reordered()).as("reordered within a key").isZero();
    assertThat(report.unexpected()).as("unexpected").isZero();
    assertThat(report.read()).isEqualTo(expected.size());
  }

  private static ChildJvm copier(EmbeddedKafka kafka, String in, String out, String group, String prefix,
      int failPercent, long sleepMs, int sessionTimeoutMs) throws Exception {
    return ChildJvm.start(EosCopyMain.class, kafka.bootstrapServers(), in, out, group, prefix,
        Integer.toString(failPercent), Long.toString(sleepMs), Integer.toString(sessionTimeoutMs));
  }

  @Test
  void sigkilledMidRunAndRestartedCopiesEveryRecordOnceInKeyOrder(EmbeddedKafka kafka) throws Exception {
    String in = unique("kill-in");
    String out = unique("kill-out");
    String group = unique("kill-g");
    kafka.createTopic(in, 6);
    kafka.createTopic(out, 6);
    List<String> expected = produce(kafka, in, 100_000, 1000);
    try (ChildJvm first = copier(kafka, in, out, group, "copier-a", 1, 0, 10_000)) {
      first.awaitLine(l -> l.equals("PROCESSING"), Duration.ofSeconds(60));
      await("the first copier committed a part").atMost(Duration.ofSeconds(120))
          .until(() -> committed(kafka, group) >= 20_000);
      first.kill(); // SIGKILL with a transaction open
      assertThat(committed(kafka, group)).isLessThan(expected.size());
    }
    // Same transactional id prefix: the restarted copier aborts its predecessor's open transaction at once.
    try (ChildJvm second = copier(kafka, in, out, group, "copier-a", 1, 0, 10_000)) {
      await("everything committed").atMost(Duration.ofSeconds(180))
          .until(() -> committed(kafka, group) == expected.size());
      assertThat(second.terminate(Duration.ofSeconds(60))).as("exit status after SIGTERM").isEqualTo(143);
    }
    assertExactlyOnce(kafka, out, expected);
  }

  @Test
  void aZombieThatWokeUpAfterItsPartitionsMovedCommitsNothing(EmbeddedKafka kafka) throws Exception {
    String in = unique("zombie-in");
    String out = unique("zombie-out");
    String group = unique("zombie-g");
    kafka.createTopic(in, 6);
    kafka.createTopic(out, 6);
    List<String> expected = produce(kafka, in, 20_000, 60);
    try (ChildJvm zombie = copier(kafka, in, out, group, "zombie-a", 0, 5, 3000)) {
      zombie.awaitLine(l -> l.equals("PROCESSING"), Duration.ofSeconds(60));
      await("the zombie-to-be committed a part").atMost(Duration.ofSeconds(60))
          .until(() -> committed(kafka, group) >= 2000);
      zombie.suspend(); // frozen mid-transaction: no heartbeats, no commits
      long frozenAt = committed(kafka, group);
      assertThat(frozenAt).isLessThan(expected.size());
      try (ChildJvm survivor = copier(kafka, in, out, group, "survivor-b", 0, 0, 3000)) {
        await("the survivor took over and committed everything").atMost(Duration.ofSeconds(120))
            .until(() -> committed(kafka, group) == expected.size());
        zombie.resume(); // wakes up believing it owns its partitions, with its transaction open
        zombie.awaitLine(l -> l.contains("transaction failed") || l.contains("lost ["), Duration.ofSeconds(60));
        assertThat(survivor.terminate(Duration.ofSeconds(60))).as("exit status after SIGTERM").isEqualTo(143);
      }
      assertThat(zombie.terminate(Duration.ofSeconds(60))).as("exit status after SIGTERM").isEqualTo(143);
    }
    assertExactlyOnce(kafka, out, expected);
  }

  @Test
  void twoProcessorsStayExactlyOnceThroughRepeatedRebalances(EmbeddedKafka kafka) throws Exception {
    String in = unique("rebalance-in");
    String out = unique("rebalance-out");
    String group = unique("rebalance-g");
    kafka.createTopic(in, 6);
    kafka.createTopic(out, 6);
    List<String> expected = new ArrayList<>();
    ProcessorOptions<byte[], byte[]> options = ProcessorOptions
        .create(kafka.bootstrapServers(), group, new ByteArrayDeserializer(), new ByteArrayDeserializer())
        .withTopics(in)
        .withOrdering(Ordering.KEY)
        .withCommitInterval(Duration.ofMillis(50))
        .withExactlyOnce(ExactlyOnce.defaults().withMaxRecordsPerTransaction(300));
    try (Processor<byte[], byte[]> steady = Processor.forRecords(options,
        r -> r.send(new ProducerRecord<>(out, r.key(), r.value()))).start()) {
      // Input arrives in waves while a second member joins and leaves: each change is a rebalance.
      Map<String, Long> seq = new HashMap<>();
      for (int round = 0; round < 4; round++) {
        expected.addAll(produceMore(kafka, in, 5000, 50, seq));
        try (Processor<byte[], byte[]> visitor = Processor.forRecords(options,
            r -> r.send(new ProducerRecord<>(out, r.key(), r.value()))).start()) {
          long target = expected.size();
          await("the visitor shares the work").atMost(Duration.ofSeconds(60))
              .until(() -> visitor.status().assignedPartitions().size() > 0 && committed(kafka, group) >= target / 2);
          expected.addAll(produceMore(kafka, in, 5000, 50, seq));
        }
      }
      long total = expected.size();
      await("no stall: everything committed").atMost(Duration.ofSeconds(120))
          .until(() -> committed(kafka, group) == total);
      assertThat(endOffsets(kafka, in, 6)).isEqualTo(total);
    }
    assertExactlyOnce(kafka, out, expected);
  }

  private static List<String> produceMore(EmbeddedKafka kafka, String topic, int count, int keys, Map<String, Long> seq) {
    Properties p = kafka.clientProperties();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    List<String> values = new ArrayList<>(count);
    try (var producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        String key = "k" + (i % keys);
        String value = DeliveryCheck.value(key, seq.merge(key, 1L, Long::sum));
        values.add(value);
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
            value.getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
    return values;
  }
}
