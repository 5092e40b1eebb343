package io.sagaflow.recovery;

import static org.awaitility.Awaitility.await;

import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.FailureHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Stand-in for the Processor until it is merged: one thread polls, runs {@code work} per record,
 * and on failure drives the {@link FailureHandler} exactly as the processor contract says.
 */
final class TestHarness {
  private TestHarness() {}

  /** Consumes {@code count} records of {@code topic} in group {@code group}; commits each finished one. */
  static void consume(String bootstrap, String topic, String group, int count, FailureHandler handler,
      Function<ConsumerRecord<byte[], byte[]>, Throwable> work) throws Exception {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, group)) {
      consumer.subscribe(List.of(topic));
      AtomicInteger done = new AtomicInteger();
      await("consumed " + count + " records of " + topic).atMost(Duration.ofSeconds(60)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
              int attempt = 1;
              while (true) {
                Throwable error = work.apply(r);
                if (error == null) {
                  break;
                }
                FailureDecision d = handler.onFailure(new FailedRecord(r, error, attempt, group));
                // Only the factory methods are used, so this compiles whichever way the processor
                // branch shapes the RetryAfter/Done/Stop implementations. The in-place wait is skipped:
                // the delay is the processor's business, and the decision itself is asserted elsewhere.
                if (d.equals(FailureDecision.done())) {
                  break;
                } else if (d.equals(FailureDecision.stop())) {
                  throw new AssertionError("unexpected stop decision");
                }
                attempt++;
              }
              consumer.commitSync(Map.of(new TopicPartition(r.topic(), r.partition()),
                  new org.apache.kafka.clients.consumer.OffsetAndMetadata(r.offset() + 1)));
              done.incrementAndGet();
            }
            return done.get() >= count;
          });
    }
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    if (group != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    }
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Reads every record of {@code topic} (all partitions, from the start) until {@code expected} arrived. */
  static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, null)) {
      List<TopicPartition> tps = new ArrayList<>();
      await("topic " + topic).atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ofMillis(1))
          .until(() -> {
            var infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null) {
              infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            }
            return !tps.isEmpty();
          });
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      // Until the expected records arrived, and half a second more so that a duplicate would show up.
      await(expected + " records of " + topic).atMost(Duration.ofSeconds(30)).during(Duration.ofMillis(500))
          .pollInSameThread().pollInterval(Duration.ofMillis(1)).until(() -> {
            consumer.poll(Duration.ofMillis(100)).forEach(out::add);
            return out.size() >= expected;
          });
      return out;
    }
  }

  static void produce(String bootstrap, List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        producer.send(r).get();
      }
    }
  }
}
