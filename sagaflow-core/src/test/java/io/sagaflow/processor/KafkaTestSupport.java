package io.sagaflow.processor;

import io.sagaflow.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;

/** Shared helpers for processor tests against the embedded broker. */
final class KafkaTestSupport {
  private static final AtomicInteger SEQ = new AtomicInteger();

  private KafkaTestSupport() {}

  static String unique(String prefix) {
    return prefix + "-" + SEQ.incrementAndGet() + "-" + System.nanoTime() % 100000;
  }

  static ProcessorOptions<String, String> options(EmbeddedKafka kafka, String group, String topic) {
    return ProcessorOptions.create(kafka.bootstrapServers(), group, new StringDeserializer(), new StringDeserializer())
        .withTopics(topic)
        .withCommitInterval(Duration.ofMillis(100))
        .withShutdownTimeout(Duration.ofSeconds(20))
        .withKafkaProperty("max.poll.interval.ms", 60_000);
  }

  static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    Properties p = kafka.clientProperties();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p);
  }

  static byte[] bytes(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /** Sends records (key, value) to one partition, in order, and waits for them. */
  static void produce(EmbeddedKafka kafka, String topic, int partition, List<String[]> keyValues) {
    try (KafkaProducer<byte[], byte[]> p = producer(kafka)) {
      for (String[] kv : keyValues) {
        p.send(new ProducerRecord<>(topic, partition, bytes(kv[0]), bytes(kv[1])));
      }
      p.flush();
    }
  }

  static Map<TopicPartition, OffsetAndMetadata> committed(EmbeddedKafka kafka, String group) {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      Map<TopicPartition, OffsetAndMetadata> m =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return m == null ? Map.of() : new HashMap<>(m);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<TopicPartition, Long> endOffsets(EmbeddedKafka kafka, String topic, int partitions) {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (int i = 0; i < partitions; i++) {
        req.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r =
          admin.listOffsets(req).all().get(30, TimeUnit.SECONDS);
      return r.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static long committedOffset(EmbeddedKafka kafka, String group, TopicPartition tp) {
    OffsetAndMetadata om = committed(kafka, group).get(tp);
    return om == null ? -1 : om.offset();
  }

  /** Waits (Awaitility) until {@code condition} holds; fails naming {@code what} after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
  }

  static void await(String what, BooleanSupplier condition) {
    await(what, Duration.ofSeconds(60), condition);
  }
}
