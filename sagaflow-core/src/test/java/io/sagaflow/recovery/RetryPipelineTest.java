package io.sagaflow.recovery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.FailureHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole pipeline on a real broker: source consumer, a retry consumer that honours the
 * not-before function the way the processor will (seek back and pause the partition until due),
 * and the dead-letter topic.
 */
@ExtendWith(LeakCheck.class)
class RetryPipelineTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void transientFailuresRecoverFromRetryTopicsAndPermanentOnesEndInTheDltOnce() throws Exception {
    String topic = "pipe";
    kafka.createTopic(topic, 2);
    List<ProducerRecord<byte[], byte[]>> input = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String key = (i % 2 == 0 ? "transient-" : "permanent-") + i;
      input.add(new ProducerRecord<>(topic, key.getBytes(UTF_8), ("v" + i).getBytes(UTF_8)));
    }
    TestHarness.produce(kafka.bootstrapServers(), input);

    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(2).withInitialBackoff(Duration.ofMillis(1))
        .withRetryTopicDelays(List.of(Duration.ofMillis(300), Duration.ofMillis(600)));
    Map<String, Integer> deliveries = new ConcurrentHashMap<>();
    Set<String> succeeded = ConcurrentHashMap.newKeySet();
    // Transient records succeed on their second retry tier; permanent ones never do.
    Function<ConsumerRecord<byte[], byte[]>, Throwable> work = r -> {
      String key = new String(r.key(), UTF_8);
      deliveries.merge(key, 1, Integer::sum);
      if (key.startsWith("transient-") && r.topic().equals("pipe-retry-600ms")) {
        succeeded.add(key);
        return null;
      }
      return new IllegalStateException("cannot process " + key);
    };
    try (RecoveryHandler handler = Recovery.handler(RecoveryOptions.of(kafka.bootstrapServers(), "pipe-svc")
        .withPolicy(policy))) {
      handler.createTopics(topic);
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
        var described = admin.describeTopics(List.of("pipe-retry-300ms", "pipe-retry-600ms", "pipe-dlt"))
            .allTopicNames().get();
        assertThat(described.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(2));
      }
      TestHarness.consume(kafka.bootstrapServers(), topic, "pipe-svc", 6, handler, work);
      // 6 records reach tier 1, all 6 reach tier 2 (where the 3 transient ones succeed).
      runRetryConsumer(Recovery.retryTopics(topic, policy), "pipe-svc-retry", 12, handler, work,
          Recovery.retryDueTime());
    }
    assertThat(succeeded).containsExactlyInAnyOrder("transient-0", "transient-2", "transient-4");
    List<ConsumerRecord<byte[], byte[]>> dlt = TestHarness.readAll(kafka.bootstrapServers(), "pipe-dlt", 3);
    assertThat(dlt).extracting(r -> new String(r.key(), UTF_8))
        .containsExactlyInAnyOrder("permanent-1", "permanent-3", "permanent-5");
    for (ConsumerRecord<byte[], byte[]> d : dlt) {
      DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
      assertThat(h.originalTopic()).isEqualTo(topic);
      assertThat(h.attempts()).as("2 in-place attempts on each of 3 deliveries").isEqualTo(6);
      assertThat(h.consumerGroup()).isEqualTo("pipe-svc-retry");
    }
    assertThat(deliveries.get("permanent-1")).isEqualTo(6);
    assertThat(deliveries.get("transient-0")).isEqualTo(5);
  }

  /**
   * A stand-in for the retry-topic processor: a record that is not yet due is not processed; its
   * partition is rewound to it and paused until then, while other partitions keep flowing.
   */
  static void runRetryConsumer(List<String> topics, String group, int count, FailureHandler handler,
      Function<ConsumerRecord<byte[], byte[]>, Throwable> work,
      Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore) throws Exception {
    try (KafkaConsumer<byte[], byte[]> consumer = TestHarness.consumer(kafka.bootstrapServers(), group)) {
      consumer.subscribe(topics);
      Map<TopicPartition, Instant> pausedUntil = new HashMap<>();
      AtomicInteger done = new AtomicInteger();
      await("processed " + count + " retry records").atMost(Duration.ofSeconds(90)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            Instant now = Instant.now();
            List<TopicPartition> due = pausedUntil.entrySet().stream().filter(e -> !e.getValue().isAfter(now))
                .map(Map.Entry::getKey).toList();
            due.forEach(pausedUntil::remove);
            consumer.resume(due);
            Set<TopicPartition> skip = new java.util.HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
              TopicPartition tp = new TopicPartition(r.topic(), r.partition());
              if (skip.contains(tp)) {
                continue;
              }
              Instant at = notBefore.apply(r);
              if (at.isAfter(Instant.now())) {
                consumer.seek(tp, r.offset());
                consumer.pause(List.of(tp));
                pausedUntil.put(tp, at);
                skip.add(tp);
                continue;
              }
              Predicate<Throwable> failed = e -> e != null;
              int attempt = 1;
              Throwable error;
              while (failed.test(error = work.apply(r))) {
                FailureDecision d = handler.onFailure(new FailedRecord(r, error, attempt, group));
                if (d.equals(FailureDecision.done())) {
                  break;
                }
                attempt++;
              }
              consumer.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
              done.incrementAndGet();
            }
            return done.get() >= count;
          });
    }
  }
}
