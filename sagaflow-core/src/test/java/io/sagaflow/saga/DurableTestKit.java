package io.sagaflow.saga;

import io.sagaflow.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What the durable saga tests share: an independent read_committed reader, and npm-style replies. */
final class DurableTestKit {
  private DurableTestKit() {}

  /** Every record of {@code topic} a read_committed reader sees now. */
  static List<ConsumerRecord<byte[], byte[]>> committed(EmbeddedKafka kafka, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
      return out;
    }
  }

  /** The transaction ids of the actions a read_committed reader sees in {@code topic}. */
  static List<String> transactions(EmbeddedKafka kafka, SagaRuntime runtime, String topic) {
    return committed(kafka, topic).stream().map(r -> runtime.codec().decode(r).transactionId()).toList();
  }

  /** Sends a reply the way the npm package does: no key. */
  static void replyWithoutKey(EmbeddedKafka kafka, SagaRuntime runtime, String topic, String tx, Object payload) {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(topic, null, runtime.codec().encodeValue(Action.of(topic, tx, payload))));
    }
  }

  /** A header's value as text, or null. */
  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
