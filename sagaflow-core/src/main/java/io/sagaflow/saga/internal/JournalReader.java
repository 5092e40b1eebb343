package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads one partition of a saga journal topic from its beginning to its last stable offset
 * (read_committed): the latest value of every run key still live, and the keys tombstoned
 * (ended runs). Used by the durable consumer's loop thread only.
 */
final class JournalReader implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String journalTopic;

  /** What a journal partition holds. */
  record Contents(Map<String, byte[]> live, Set<String> ended) {}

  JournalReader(ClusterOptions cluster, Map<String, Object> kafkaProperties, String journalTopic) {
    this.journalTopic = journalTopic;
    Map<String, Object> config = new HashMap<>(KafkaClients.known(kafkaProperties, ConsumerConfig.configNames()));
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.CLIENT_ID_CONFIG);
    config.keySet().removeIf(k -> k.endsWith(".deserializer"));
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer = KafkaClients.consumer(cluster, "saga-journal-reader", config);
  }

  /** Reads partition {@code partition} up to its last stable offset. */
  Contents read(int partition) {
    TopicPartition tp = new TopicPartition(journalTopic, partition);
    List<TopicPartition> parts = List.of(tp);
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    long end = consumer.endOffsets(parts, TIMEOUT).get(tp); // read_committed: the last stable offset
    Map<String, byte[]> live = new LinkedHashMap<>();
    Set<String> ended = new HashSet<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (consumer.position(tp, TIMEOUT) < end) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("reading the saga journal " + tp + " to offset " + end + " did not finish"
            + " within " + TIMEOUT + "; is the cluster reachable?");
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.key() == null) {
          continue;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
          live.remove(key);
          ended.add(key);
        } else {
          live.put(key, r.value());
          ended.remove(key);
        }
      }
    }
    consumer.assign(List.of());
    return new Contents(live, ended);
  }

  @Override
  public void close() {
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
