package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.kafka.ClusterOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The journal's two producers taking turns, against the embedded broker: transactions commit in
 * order, the offsets of the last one win, and a restart fences both producers of its predecessor.
 */
@ExtendWith(LeakCheck.class)
class JournalCommitterTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  private static JournalWriter.Batch batch(String topic, Map<TopicPartition, OffsetAndMetadata> offsets,
      String... values) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (String v : values) {
      records.add(new ProducerRecord<>(topic, 0, null, v.getBytes(StandardCharsets.UTF_8)));
    }
    return new JournalWriter.Batch(records, offsets);
  }

  private static JournalCommitter committer(String base, String instanceId) {
    return new JournalCommitter(ClusterOptions.of(kafka.bootstrapServers()), base, instanceId,
        Map.of("transaction.timeout.ms", 15_000, "retry.backoff.ms", 10), "test-commit");
  }

  @Test
  void backToBackTransactionsTakeTurnsCommitInOrderAndTheLastOffsetsWin() throws Exception {
    String topic = unique("turns");
    String input = unique("turns-in");
    String group = unique("turns-group");
    String base = unique("turns-txn");
    kafka.createTopic(topic, 1);
    kafka.createTopic(input, 1);
    TopicPartition in = new TopicPartition(input, 0);
    int transactions = 200;
    try (JournalCommitter committer = committer(base, "a")) {
      committer.open();
      for (int i = 0; i < transactions; i++) {
        // As fast as the broker allows: each transaction starts while the one before writes its markers.
        committer.submit(batch(topic, Map.of(in, new OffsetAndMetadata(i + 1)), "v" + i),
            new ConsumerGroupMetadata(group));
        JournalCommitter.Outcome outcome = committer.await();
        assertThat(outcome.error()).as("transaction %d", i).isNull();
      }
    }
    assertThat(readCommitted(topic)).containsExactlyElementsOf(IntStream.range(0, transactions)
        .mapToObj(i -> "v" + i).toList());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      // Two producers committed offsets for one partition in turn: the later one holds, whichever
      // transaction's markers landed last.
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      assertThat(committed.get(in).offset()).isEqualTo(transactions);
      List<String> ids = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
          .map(TransactionListing::transactionalId).filter(id -> id.startsWith(base)).sorted().toList();
      assertThat(ids).as("both producers wrote").containsExactly(base + "-a", base + "2-a");
    }
  }

  @Test
  void aRestartWithTheSameInstanceIdFencesBothProducersOfItsPredecessor() {
    String topic = unique("fence");
    String base = unique("fence-txn");
    kafka.createTopic(topic, 1);
    ConsumerGroupMetadata group = new ConsumerGroupMetadata(unique("fence-group"));
    try (JournalCommitter old = committer(base, "b"); JournalCommitter successor = committer(base, "b")) {
      old.open();
      successor.open();
      // The old instance's two producers take their turns, and both are fenced.
      assertThat(old.commitNow(batch(topic, Map.of(), "zombie-1"), group).error()).isNotNull();
      assertThat(old.commitNow(batch(topic, Map.of(), "zombie-2"), group).error()).isNotNull();
      assertThat(successor.commitNow(batch(topic, Map.of(), "successor-1"), group).error()).isNull();
      assertThat(successor.commitNow(batch(topic, Map.of(), "successor-2"), group).error()).isNull();
    }
    assertThat(readCommitted(topic)).containsExactly("successor-1", "successor-2");
  }

  @Test
  void noInstanceIdIsAnotherInstancesTransactionalId() {
    // Ids differ right after the base, so no choice of instance ids makes two instances collide.
    assertThat(JournalCommitter.transactionalIds("g-saga-journal", "x"))
        .containsExactly("g-saga-journal-x", "g-saga-journal2-x")
        .doesNotContainAnyElementsOf(JournalCommitter.transactionalIds("g-saga-journal", "2-x"));
  }

  private static List<String> readCommitted(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.position(tp) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }
}
