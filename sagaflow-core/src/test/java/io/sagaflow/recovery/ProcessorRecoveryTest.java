package io.sagaflow.recovery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.RecordHandler;

/** The recovery pipeline with the real Processor: main consumer, retry-topic consumer, dead letters. */
@ExtendWith(LeakCheck.class)
class ProcessorRecoveryTest {
  /** Values are {@code v<number>}; anything else is a poison pill. */
  static final class NumberDeserializer implements Deserializer<Integer> {
    @Override
    public Integer deserialize(String topic, byte[] data) {
      String s = new String(data, UTF_8);
      if (!s.startsWith("v")) {
        throw new SerializationException("not a v<number>: " + s);
      }
      return Integer.parseInt(s.substring(1));
    }
  }

  @Test
  void poisonPillsAndAlwaysFailingRecordsEndInTheDltAndEverythingElseIsProcessed() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String topic = "payments";
      kafka.createTopic(topic, 3);
      int total = 1000;
      Set<Integer> poison = new java.util.HashSet<>();
      Set<Integer> alwaysFails = new java.util.HashSet<>();
      Set<Integer> failsOnce = new java.util.HashSet<>();
      List<ProducerRecord<byte[], byte[]>> input = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        String value = "v" + i;
        if (i % 100 == 7) {
          poison.add(i);
          value = "garbage-" + i;
        } else if (i % 100 == 42) {
          alwaysFails.add(i);
        } else if (i % 100 == 77) {
          failsOnce.add(i); // fails on the main topic, succeeds from the retry topic
        }
        input.add(new ProducerRecord<>(topic, ("key-" + (i % 50)).getBytes(UTF_8), value.getBytes(UTF_8)));
      }
      produce(kafka.bootstrapServers(), input);

      Map<Integer, Integer> processed = new ConcurrentHashMap<>();
      Map<Integer, Integer> attempts = new ConcurrentHashMap<>();
      RecordHandler<String, Integer> handler = r -> {
        int n = r.value();
        int attempt = attempts.merge(n, 1, Integer::sum);
        if (alwaysFails.contains(n) || (failsOnce.contains(n) && r.topic().equals(topic))) {
          throw new IllegalStateException("payment " + n + " declined (attempt " + attempt + ")");
        }
        processed.merge(n, 1, Integer::sum);
      };
      RetryPolicy policy = RetryPolicy.defaults()
          .withInPlaceAttempts(2)
          .withInitialBackoff(Duration.ofMillis(5))
          .withRetryTopicDelays(List.of(Duration.ofMillis(300)));
      RecoveryOptions ro = RecoveryOptions.of(kafka.bootstrapServers(), "payments-service").withPolicy(policy);
      try (RecoveryHandler recovery = Recovery.handler(ro)) {
        recovery.createTopics(topic);
        ProcessorOptions<String, Integer> base = ProcessorOptions
            .create(kafka.bootstrapServers(), "payments-service", new StringDeserializer(), new NumberDeserializer())
            .withOrdering(Ordering.KEY)
            .withFailureHandler(recovery)
            .withCommitInterval(Duration.ofMillis(100));
        try (Processor<String, Integer> main = Processor.forRecords(base.withTopics(topic), handler).start();
            Processor<String, Integer> retries = Processor.forRecords(base
                .withGroupId("payments-service-retries")
                .withTopics(Recovery.retryTopics(topic, policy))
                .withNotBefore(Recovery.retryDueTime()), handler).start()) {
          int good = total - poison.size() - alwaysFails.size();
          await("every good record processed (" + processed.size() + "/" + good + ")").atMost(Duration.ofSeconds(60))
              .until(() -> processed.size() == good);
          List<ConsumerRecord<byte[], byte[]>> dead = readAll(kafka.bootstrapServers(), topic + "-dlt",
              poison.size() + alwaysFails.size());
          Set<Integer> deadOffsets = new java.util.TreeSet<>();
          for (ConsumerRecord<byte[], byte[]> d : dead) {
            DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
            assertThat(h.originalTopic()).isEqualTo(topic);
            String v = new String(d.value(), UTF_8);
            int n = Integer.parseInt(v.replaceAll("\\D+", ""));
            deadOffsets.add(n);
            if (poison.contains(n)) {
              assertThat(h.exceptionClass()).isEqualTo(
                  org.apache.kafka.common.errors.RecordDeserializationException.class.getName());
              assertThat(v).isEqualTo("garbage-" + n); // the raw bytes, untouched
            } else {
              assertThat(h.exceptionClass()).isEqualTo(IllegalStateException.class.getName());
              assertThat(h.attempts()).isEqualTo(4); // 2 in place on the topic, 2 in place on the retry topic
            }
          }
          Set<Integer> expectedDead = new java.util.TreeSet<>(poison);
          expectedDead.addAll(alwaysFails);
          assertThat(deadOffsets).isEqualTo(expectedDead);
          assertThat(dead).hasSize(expectedDead.size());
          assertThat(processed.values()).allSatisfy(c -> assertThat(c).isEqualTo(1));
          assertThat(poison).allSatisfy(n -> assertThat(attempts).doesNotContainKey(n));
          await("the main group committed everything").atMost(Duration.ofSeconds(60))
              .until(() -> committed(main, topic) == total);
        }
      }
    }
  }

  @Test
  void anUnwritableDeadLetterTopicHoldsTheOffsetUntilItCanBeWritten() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withAutoCreateTopics(false))) {
      String topic = "orders";
      kafka.createTopic(topic, 1);
      List<ProducerRecord<byte[], byte[]>> input = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        input.add(new ProducerRecord<>(topic, ("k" + i).getBytes(UTF_8), (i == 5 ? "bad" : "v" + i).getBytes(UTF_8)));
      }
      produce(kafka.bootstrapServers(), input);
      RetryPolicy policy = RetryPolicy.defaults().withRetryTopicDelays(List.of()).withInPlaceAttempts(1);
      RecoveryOptions ro = RecoveryOptions.of(kafka.bootstrapServers(), "orders-service")
          .withPolicy(policy).withCreateTopics(false).withPublishTimeout(Duration.ofSeconds(1));
      Set<Integer> processed = ConcurrentHashMap.newKeySet();
      try (RecoveryHandler recovery = Recovery.handler(ro);
          Processor<String, Integer> p = Processor.forRecords(ProcessorOptions
              .create(kafka.bootstrapServers(), "orders-service", new StringDeserializer(), new NumberDeserializer())
              .withTopics(topic)
              .withOrdering(Ordering.UNORDERED)
              .withFailureHandler(recovery)
              .withCommitInterval(Duration.ofMillis(100)), r -> processed.add(r.value())).start()) {
        await("the records around the poison pill are processed").atMost(Duration.ofSeconds(60))
            .until(() -> processed.size() == 19);
        await("health DOWN while the DLT cannot be written").atMost(Duration.ofSeconds(60))
            .until(() -> recovery.health() == RecoveryHealth.DOWN);
        // The poison pill at offset 5 is not handed off, so the committed offset stays on it.
        await("committed offset held at the unrecovered record").atMost(Duration.ofSeconds(60))
            .until(() -> committed(p, topic) == 5);
        // And it stays there for a while (a negative check: nothing should happen).
        await("the offset held").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
            .until(() -> committed(p, topic) == 5);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
          admin.createTopics(List.of(new NewTopic(topic + "-dlt", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        await("the offset moves once the dead letter is written").atMost(Duration.ofSeconds(60))
            .until(() -> committed(p, topic) == 20);
        assertThat(recovery.health()).isEqualTo(RecoveryHealth.UP);
        assertThat(readAll(kafka.bootstrapServers(), topic + "-dlt", 1)).singleElement()
            .satisfies(d -> assertThat(new String(d.value(), UTF_8)).isEqualTo("bad"));
      }
    }
  }

  private static long committed(Processor<?, ?> p, String topic) {
    return p.status().committedOffsets().entrySet().stream()
        .filter(e -> e.getKey().topic().equals(topic))
        .mapToLong(Map.Entry::getValue).sum();
  }


  private static void produce(String bootstrap, List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        producer.send(r);
      }
      producer.flush();
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int expected) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      // Until the expected records arrived, and half a second more: a duplicate would show up.
      await("expected records").atMost(Duration.ofSeconds(30)).during(Duration.ofMillis(500)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            c.poll(Duration.ofMillis(100)).forEach(out::add);
            return out.size() >= expected;
          });
    }
    return out;
  }
}
