package io.sagaflow.recovery.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;
import java.util.Optional;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a whole topic once, from the beginning to the end offsets taken at the start (the last
 * stable offsets: only committed transactional data is read). No consumer group is used, so reading
 * never moves anybody's offsets. The calling thread owns the consumer.
 */
public final class TopicScanner {
  private final ClusterOptions cluster;
  private final Map<String, Object> clientProperties;
  private final Duration timeout;

  /** {@code clientProperties} are applied over the cluster's; keys only other clients know are left out. */
  public TopicScanner(ClusterOptions cluster, Map<String, Object> clientProperties, Duration timeout) {
    this.cluster = cluster;
    this.clientProperties = clientProperties;
    this.timeout = timeout;
  }

  public KafkaConsumer<byte[], byte[]> consumer() {
    Map<String, Object> p = KafkaClients.known(clientProperties, ConsumerConfig.configNames());
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return KafkaClients.consumer(cluster, "dlq-scan", p);
  }

  /**
   * Calls {@code each} for every record of {@code topic}, partition by partition in offset order.
   *
   * @throws IllegalStateException naming the cluster when it rejects our credentials or certificate
   */
  public void scan(String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    try {
      scanOnce(topic, each);
    } catch (RuntimeException e) {
      Optional<IllegalStateException> clear = ConnectionFailures.explain(cluster, e);
      if (clear.isPresent()) {
        throw clear.get();
      }
      throw e;
    }
  }

  private void scanOnce(String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("topic " + topic + " does not exist (or has no partitions)");
      }
      List<TopicPartition> tps = new ArrayList<>();
      infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(tps, timeout));
      end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
      while (!end.isEmpty()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          Long stop = end.get(tp);
          if (stop != null && r.offset() < stop) {
            each.accept(r);
          }
        }
        end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
      }
    }
  }
}
