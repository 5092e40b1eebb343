package io.sagaflow.bench;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What a system needs to run one scenario: where to read, the handler to call, and where to report commits. */
final class BenchContext {
  private final String bootstrapServers;
  private final String topic;
  private final String groupId;
  private final Scenario scenario;
  private final Tracker tracker;

  BenchContext(String bootstrapServers, String topic, String groupId, Scenario scenario, Tracker tracker) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.groupId = groupId;
    this.scenario = scenario;
    this.tracker = tracker;
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  String topic() {
    return topic;
  }

  String groupId() {
    return groupId;
  }

  int partitions() {
    return scenario.partitions();
  }

  int maxInFlight() {
    return scenario.maxInFlight();
  }

  /**
   * The scenario's work for one record (nothing, or a sleep standing in for I/O), then the completion mark.
   * Every system calls exactly this.
   */
  void handle(ConsumerRecord<String, byte[]> record) {
    handle(record.partition(), record.offset());
  }

  /** The same as {@link #handle(ConsumerRecord)}, for systems with their own record type. */
  void handle(int partition, long offset) {
    long sleep = scenario.handlerSleepMillis();
    if (sleep > 0) {
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("handler interrupted (the system is shutting down)", e);
      }
    }
    tracker.completed(partition, offset);
  }

  /** Report a commit the broker acknowledged. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    tracker.committed(offsets);
  }

  /**
   * Consumer settings shared by every system: fresh group, earliest, no auto commit, String keys and byte[]
   * values, and the {@link CommitInterceptor} that reports acknowledged commits. Fetch sizes are left at the
   * client defaults for all.
   */
  Properties consumerProperties() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, CommitInterceptor.class.getName());
    return p;
  }
}
