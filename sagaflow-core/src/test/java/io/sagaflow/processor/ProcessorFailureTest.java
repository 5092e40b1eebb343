package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.committedOffset;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class ProcessorFailureTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static String setUp(int n) {
    String topic = unique("fail");
    kafka.createTopic(topic, 1);
    List<String[]> kvs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      kvs.add(new String[] {"k", "v" + i});
    }
    KafkaTestSupport.produce(kafka, topic, 0, kvs);
    return topic;
  }

  @Test
  void retryAfterCallsTheHandlerAgainWithTheNextAttempt() throws Exception {
    String topic = setUp(5);
    String group = unique("g");
    Map<Long, AtomicInteger> calls = new ConcurrentHashMap<>();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.PARTITION)
        .withFailureHandler(failed -> {
          attempts.add(failed.attempt());
          assertThat(failed.groupId()).isEqualTo(group);
          return FailureDecision.retryAfter(Duration.ofMillis(50));
        });
    List<Long> order = new CopyOnWriteArrayList<>();
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      int n = calls.computeIfAbsent(r.offset(), k -> new AtomicInteger()).incrementAndGet();
      if (r.offset() == 2 && n < 3) {
        throw new IllegalStateException("transient " + n);
      }
      order.add(r.offset());
    }).start()) {
      await("all done", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 5);
    }
    assertThat(calls.get(2L).get()).isEqualTo(3);
    assertThat(attempts).containsExactly(1, 2);
    assertThat(order).containsExactly(0L, 1L, 2L, 3L, 4L); // the partition stayed blocked meanwhile
  }

  @Test
  void theHandlerSeesItsAttemptClientIdAndAssignment() throws Exception {
    String topic = setUp(3);
    String group = unique("g");
    List<String> seen = new CopyOnWriteArrayList<>();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withKafkaProperty("client.id", "billing-7")
        .withFailureHandler(failed -> FailureDecision.retryAfter(Duration.ofMillis(10)));
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      seen.add(r.offset() + "#" + r.attempt() + " " + r.clientId() + " " + r.assignment());
      if (r.offset() == 1 && r.attempt() < 3) {
        throw new IllegalStateException("transient");
      }
    }).start()) {
      await("all done", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 3);
    }
    String tail = " billing-7 [" + topic + "-0]";
    assertThat(seen).containsExactly("0#1" + tail, "1#1" + tail, "1#2" + tail, "1#3" + tail, "2#1" + tail);
  }

  @Test
  void aGeneratedClientIdIsReportedToo() throws Exception {
    String topic = setUp(1);
    String group = unique("g");
    List<String> ids = new CopyOnWriteArrayList<>();
    try (Processor<String, String> p = Processor.forRecords(options(kafka, group, topic), r -> ids.add(r.clientId()))
        .start()) {
      await("processed", () -> !ids.isEmpty());
    }
    // The client factory names an unnamed consumer "sagaflow-<cluster>-consumer-<group>-<n>".
    assertThat(ids).singleElement().asString().startsWith("sagaflow-default-consumer-" + group + "-");
  }

  @Test
  void doneFinishesAFailedRecord() throws Exception {
    String topic = setUp(4);
    String group = unique("g");
    List<FailedRecord> failures = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withFailureHandler(failed -> {
          failures.add(failed);
          return FailureDecision.done();
        });
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      calls.incrementAndGet();
      if (r.offset() == 1) {
        throw new IllegalArgumentException("bad record");
      }
    }).start()) {
      await("committed past the failed record", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 4);
    }
    assertThat(calls.get()).isEqualTo(4);
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0).raw().offset()).isEqualTo(1);
    assertThat(failures.get(0).error()).isInstanceOf(IllegalArgumentException.class).hasMessage("bad record");
  }

  @Test
  void stopStopsTheProcessorWithoutCommittingTheRecord() throws Exception {
    String topic = setUp(6);
    String group = unique("g");
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.PARTITION)
        .withFailureHandler(FailureHandler.stop());
    Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.offset() == 3) {
        throw new IllegalStateException("fatal for this record");
      }
    }).start();
    try {
      assertThat(p.awaitTermination(Duration.ofSeconds(60))).isTrue();
      assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.FAILED);
      assertThat(p.status().lastError()).get().extracting(Throwable::getMessage).isEqualTo("fatal for this record");
    } finally {
      p.close();
    }
    assertThat(committedOffset(kafka, group, new TopicPartition(topic, 0))).isEqualTo(3);
  }

  @Test
  void aThrowingFailureHandlerKeepsTheOffsetFromAdvancing() throws Exception {
    String topic = setUp(4);
    String group = unique("g");
    TopicPartition tp = new TopicPartition(topic, 0);
    AtomicInteger handoffs = new AtomicInteger();
    List<Long> processed = new CopyOnWriteArrayList<>();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.PARTITION)
        .withFailureHandler(failed -> {
          if (handoffs.incrementAndGet() < 4) {
            throw new IllegalStateException("dead-letter topic unavailable");
          }
          return FailureDecision.done();
        });
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.offset() == 1) {
        throw new IllegalStateException("poison");
      }
      processed.add(r.offset());
    }).start()) {
      await("failure handler called twice", () -> handoffs.get() >= 2);
      assertThat(committedOffset(kafka, group, tp)).isLessThanOrEqualTo(1);
      assertThat(processed).containsExactly(0L); // the partition stays blocked behind the record
      await("handed off at last", () -> committedOffset(kafka, group, tp) == 4);
    }
    assertThat(handoffs.get()).isEqualTo(4);
    assertThat(processed).containsExactly(0L, 2L, 3L);
  }

  /** Fails on values that are not "v<number>". */
  static final class StrictDeserializer implements Deserializer<String> {
    @Override
    public String deserialize(String topic, byte[] data) {
      String s = new String(data, StandardCharsets.UTF_8);
      if (!s.matches("v\\d+")) {
        throw new SerializationException("not a v<number>: " + s);
      }
      return s;
    }
  }

  @Test
  void poisonPillGoesToTheFailureHandlerNotTheHandler() throws Exception {
    String topic = unique("poison");
    kafka.createTopic(topic, 1);
    KafkaTestSupport.produce(kafka, topic, 0, List.of(
        new String[] {"a", "v1"}, new String[] {"b", "\u0000garbage"}, new String[] {"c", "v3"}));
    String group = unique("g");
    List<FailedRecord> failures = new CopyOnWriteArrayList<>();
    List<String> handled = new CopyOnWriteArrayList<>();
    ProcessorOptions<String, String> opts =
        ProcessorOptions.create(kafka.bootstrapServers(), group, new StringDeserializer(), new StrictDeserializer())
            .withTopics(topic)
            .withCommitInterval(Duration.ofMillis(100))
            .withFailureHandler(failed -> {
              failures.add(failed);
              return FailureDecision.done();
            });
    try (Processor<String, String> p = Processor.forRecords(opts, r -> handled.add(r.value())).start()) {
      await("all committed", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 3);
    }
    assertThat(handled).containsExactlyInAnyOrder("v1", "v3");
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0).error()).isInstanceOf(SerializationException.class);
    assertThat(new String(failures.get(0).raw().value(), StandardCharsets.UTF_8)).isEqualTo("\u0000garbage");
  }

  @Test
  void notBeforeDelaysARecordWhileOtherPartitionsFlow() throws Exception {
    String topic = unique("delay");
    kafka.createTopic(topic, 2);
    String group = unique("g");
    long due = System.currentTimeMillis() + 3000;
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      ProducerRecord<byte[], byte[]> delayed = new ProducerRecord<>(topic, 0, null, "d0".getBytes(StandardCharsets.UTF_8));
      delayed.headers().add("not-before", Long.toString(due).getBytes(StandardCharsets.UTF_8));
      producer.send(delayed);
      producer.send(new ProducerRecord<>(topic, 0, null, "d1".getBytes(StandardCharsets.UTF_8)));
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, 1, null, ("n" + i).getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
    Map<String, Long> processedAt = new ConcurrentHashMap<>();
    List<String> order = new CopyOnWriteArrayList<>();
    ProcessorOptions<String, String> opts = options(kafka, group, topic).withNotBefore(r -> {
      Header h = r.headers().lastHeader("not-before");
      return h == null ? null : Instant.ofEpochMilli(Long.parseLong(new String(h.value(), StandardCharsets.UTF_8)));
    });
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      processedAt.put(r.value(), System.currentTimeMillis());
      order.add(r.value());
    }).start()) {
      await("partition 1 flows while partition 0 waits", () -> processedAt.containsKey("n9"));
      assertThat(processedAt).doesNotContainKeys("d0", "d1");
      await("partition 0 shown paused", () -> processedAt.containsKey("d0")
          || p.status().pausedPartitions().contains(new TopicPartition(topic, 0)));
      assertThat(processedAt).doesNotContainKeys("d0", "d1");
      await("delayed record processed", () -> processedAt.containsKey("d1"));
    }
    assertThat(processedAt.get("d0")).isGreaterThanOrEqualTo(due);
    assertThat(order.indexOf("d0")).isLessThan(order.indexOf("d1"));
  }

  @Test
  void defaultFailureHandlerRetriesInPlaceRatherThanSkipping() throws Exception {
    String topic = setUp(3);
    String group = unique("g");
    AtomicInteger calls = new AtomicInteger();
    try (Processor<String, String> p = Processor.forRecords(options(kafka, group, topic), r -> {
      if (r.offset() == 0 && calls.incrementAndGet() < 3) {
        throw new IllegalStateException("flaky");
      }
    }).start()) {
      await("committed after retries", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 3);
    }
    assertThat(calls.get()).isEqualTo(3);
  }
}
