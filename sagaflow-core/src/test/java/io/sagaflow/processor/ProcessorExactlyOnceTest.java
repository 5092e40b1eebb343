package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Exactly-once mode in one JVM: outputs of failed attempts and aborted transactions never show. */
@ExtendWith(LeakCheck.class)
class ProcessorExactlyOnceTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  /** Keyed input "k<i%keys>" -> "k:<seq per key>", spread over partitions by key. */
  private static List<String> produceKeyed(String topic, int count, int keys) {
    List<String> values = new ArrayList<>();
    Map<String, Integer> seq = new HashMap<>();
    try (var p = KafkaTestSupport.producer(kafka)) {
      for (int i = 0; i < count; i++) {
        String key = "k" + (i % keys);
        int s = seq.merge(key, 1, Integer::sum);
        String value = key + ":" + s;
        values.add(value);
        p.send(new ProducerRecord<>(topic, KafkaTestSupport.bytes(key), KafkaTestSupport.bytes(value)));
      }
      p.flush();
    }
    return values;
  }

  /** Reads the output with read_committed until {@code expected} records arrived and then 1 s more. */
  private static List<ConsumerRecord<String, String>> readCommitted(String topic, int expected) throws Exception {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, unique("reader"));
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      // Until the expected records arrived, and a second more: a duplicate would show up.
      await("expected records").atMost(Duration.ofSeconds(90)).during(Duration.ofSeconds(1)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
              out.add(r);
            }
            return out.size() >= expected;
          });
    }
    return out;
  }

  private static void assertExactlyOnceInKeyOrder(List<ConsumerRecord<String, String>> out, List<String> expected) {
    List<String> values = out.stream().map(ConsumerRecord::value).toList();
    assertThat(values).hasSameSizeAs(expected);
    assertThat(values).containsExactlyInAnyOrderElementsOf(expected);
    Map<String, Integer> last = new HashMap<>();
    for (String v : values) {
      String key = v.substring(0, v.indexOf(':'));
      int seq = Integer.parseInt(v.substring(v.indexOf(':') + 1));
      Integer prev = last.put(key, seq);
      assertThat(seq).as("order of key %s", key).isGreaterThan(prev == null ? 0 : prev);
    }
  }

  @Test
  void copiesEachRecordOnceAlthoughAttemptsFailAfterSending() throws Exception {
    String in = unique("eos-in");
    String out = unique("eos-out");
    kafka.createTopic(in, 6);
    kafka.createTopic(out, 6);
    List<String> expected = produceKeyed(in, 5000, 50);
    AtomicInteger failures = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), in)
        .withOrdering(Ordering.KEY)
        .withExactlyOnce(ExactlyOnce.defaults().withMaxRecordsPerTransaction(500));
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      r.send(out, r.key(), r.value());
      if (ThreadLocalRandom.current().nextInt(20) == 0) {
        failures.incrementAndGet();
        throw new IllegalStateException("failing after a send: the send must not be published");
      }
    }).start()) {
      List<ConsumerRecord<String, String>> got = readCommitted(out, expected.size());
      assertExactlyOnceInKeyOrder(got, expected);
      assertThat(failures.get()).isPositive();
      assertThat(p.status().lastError()).isEmpty();
    }
  }

  @Test
  void aFailedTransactionIsAbortedAndItsRecordsRunAgain() throws Exception {
    String in = unique("eos-abort-in");
    String out = unique("eos-abort-out");
    kafka.createTopic(in, 2);
    kafka.createTopic(out, 2);
    List<String> expected = produceKeyed(in, 2000, 20);
    Set<String> poisoned = ConcurrentHashMap.newKeySet();
    AtomicInteger handled = new AtomicInteger();
    byte[] tooLarge = new byte[2 * 1024 * 1024]; // over max.request.size: the send fails, the commit cannot succeed
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), in)
        .withOrdering(Ordering.KEY)
        .withExactlyOnce();
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      handled.incrementAndGet();
      if (r.value().endsWith(":50") && poisoned.add(r.value())) {
        r.send(new ProducerRecord<>(out, null, tooLarge));
      }
      r.send(out, r.key(), r.value());
    }).start()) {
      List<ConsumerRecord<String, String>> got = readCommitted(out, expected.size());
      assertExactlyOnceInKeyOrder(got, expected);
      assertThat(poisoned).hasSize(20);
      assertThat(handled.get()).as("records of aborted transactions ran again").isGreaterThan(expected.size());
      assertThat(p.status().lastError()).isPresent();
    }
  }

  @Test
  void deadLettersJoinTheTransactionAndAbortWithIt() throws Exception {
    String in = unique("eos-dlt-in");
    String out = unique("eos-dlt-out");
    kafka.createTopic(in, 2);
    kafka.createTopic(out, 2);
    List<String> all = produceKeyed(in, 1000, 20);
    List<String> failing = all.stream().filter(v -> v.endsWith(":7")).toList();
    List<String> copied = all.stream().filter(v -> !v.endsWith(":7")).toList();
    Set<String> poisoned = ConcurrentHashMap.newKeySet();
    AtomicInteger handled = new AtomicInteger();
    byte[] tooLarge = new byte[2 * 1024 * 1024];
    RetryPolicy policy = RetryPolicy.defaults().withRetryTopicDelays(List.of()).withInPlaceAttempts(1);
    String group = unique("g");
    try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(kafka.bootstrapServers(), group).withPolicy(policy));
        Processor<String, String> p = Processor.forRecords(options(kafka, group, in)
            .withOrdering(Ordering.KEY)
            .withFailureHandler(recovery)
            .withExactlyOnce(), r -> {
              handled.incrementAndGet();
              if (r.value().endsWith(":7")) {
                throw new IllegalArgumentException("always fails: dead-lettered");
              }
              if (r.value().endsWith(":30") && poisoned.add(r.value())) {
                r.send(new ProducerRecord<>(out, null, tooLarge)); // dooms the transaction
              }
              r.send(out, r.key(), r.value());
            }).start()) {
      assertExactlyOnceInKeyOrder(readCommitted(out, copied.size()), copied);
      // Dead letters written in the aborted transactions were aborted with them and written again:
      // a separate producer would have left two copies of some.
      List<String> deadLetters = readCommitted(policy.deadLetterTopic(in), failing.size()).stream()
          .map(ConsumerRecord::value).toList();
      assertThat(deadLetters).containsExactlyInAnyOrderElementsOf(failing);
      assertThat(handled.get()).as("records of aborted transactions ran again").isGreaterThan(all.size());
    }
  }

  @Test
  void sendsInAtLeastOnceModeFinishTheRecordOnlyOnceAcknowledged() throws Exception {
    String in = unique("alos-in");
    String out = unique("alos-out");
    kafka.createTopic(in, 3);
    kafka.createTopic(out, 3);
    List<String> expected = produceKeyed(in, 1000, 10);
    String group = unique("g");
    try (Processor<String, String> p = Processor.forRecords(options(kafka, group, in), r -> {
      r.send(out, r.key(), r.value()).get(); // the future completes with the ack
    }).start()) {
      List<ConsumerRecord<String, String>> got = readCommitted(out, expected.size());
      assertThat(got.stream().map(ConsumerRecord::value).toList()).containsExactlyInAnyOrderElementsOf(expected);
      await("all committed", () -> KafkaTestSupport.committed(kafka, group).values().stream()
          .mapToLong(om -> om.offset()).sum() == expected.size());
      assertThat(p.status().lastError()).isEmpty();
    }
  }
}
