package io.sagaflow.bench;

import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Creates a scenario's topic and fills it once, before any system runs. */
final class DataProducer {
  private DataProducer() {}

  static void createTopic(String bootstrapServers, String topic, int partitions)
      throws ExecutionException, InterruptedException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()))).all().get();
    }
  }

  /** Produces {@code scenario.records()} records with acks=all and fails if any send failed. */
  static void produce(String bootstrapServers, String topic, Scenario scenario) throws InterruptedException {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    // One request in flight: the topic was just created, and a broker that has not applied it yet
    // refuses the first request (NOT_LEADER_OR_FOLLOWER) but may append a second one sent meanwhile,
    // after which the first is refused as out of order until it expires (KAFKA-15591, fixed in
    // Kafka 4.5); in one CI run 146 of 2,000 records expired so.
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    KeySequence keys = new KeySequence(scenario.keys(), scenario.keyCount());
    byte[] value = new byte[scenario.valueBytes()];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) ('a' + i % 26);
    }
    AtomicReference<Exception> failure = new AtomicReference<>();
    AtomicLong acked = new AtomicLong();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
      for (long i = 0; i < scenario.records() && failure.get() == null; i++) {
        producer.send(new ProducerRecord<>(topic, keys.next(), value), (metadata, exception) -> {
          if (exception != null) {
            failure.compareAndSet(null, exception);
          } else {
            acked.incrementAndGet();
          }
        });
      }
      producer.flush();
    }
    if (failure.get() != null || acked.get() != scenario.records()) {
      throw new IllegalStateException("producing the " + scenario.name() + " data to " + topic + " failed after "
          + acked.get() + " of " + scenario.records() + " records", failure.get());
    }
  }
}
