package io.sagaflow.admin;

import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.internal.ConnectionFailures;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a consumer group's lag: for each partition the group has committed, how far its committed
 * offset is behind the partition's end.
 *
 * <pre>{@code
 * try (KafkaCluster cluster = KafkaCluster.create(ClusterOptions.of("main", "localhost:9092"))) {
 *   for (GroupLag.PartitionLag p : GroupLag.read(cluster, "orders-service", Duration.ofSeconds(10))) {
 *     System.out.println(p.partition() + " lag " + p.lag());
 *   }
 * }
 * }</pre>
 */
public final class GroupLag {
  private GroupLag() {}

  /**
   * The lag of one partition.
   *
   * @param partition the topic partition
   * @param committedOffset the group's committed offset (the next record it will read)
   * @param endOffset the partition's log end offset (the offset the next produced record gets)
   * @param lag {@code endOffset - committedOffset}, never negative
   */
  public record PartitionLag(TopicPartition partition, long committedOffset, long endOffset, long lag) {}

  /**
   * Returns the lag of every partition the group has committed an offset for, sorted by topic and
   * partition; empty if the group has committed nothing.
   *
   * @throws IllegalStateException if Kafka does not answer within {@code timeout}, naming the group
   *     and what to check
   */
  public static List<PartitionLag> read(KafkaCluster cluster, String groupId, Duration timeout) {
    Objects.requireNonNull(cluster, "cluster");
    try {
      return read(cluster.admin(), groupId, timeout);
    } catch (RuntimeException e) {
      throw ConnectionFailures.explainOrWrap(cluster.options(), e);
    }
  }

  /** {@link #read(KafkaCluster, String, Duration)} with an admin client of your own. */
  public static List<PartitionLag> read(Admin admin, String groupId, Duration timeout) {
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(groupId, "groupId");
    long ms = timeout.toMillis();
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
          .partitionsToOffsetAndMetadata().get(ms, TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      committed.forEach((tp, om) -> {
        if (om != null) {
          latest.put(tp, OffsetSpec.latest());
        }
      });
      if (latest.isEmpty()) {
        return List.of();
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(ms, TimeUnit.MILLISECONDS);
      List<PartitionLag> out = new ArrayList<>();
      for (Map.Entry<TopicPartition, OffsetSpec> e : latest.entrySet()) {
        long c = committed.get(e.getKey()).offset();
        long end = ends.get(e.getKey()).offset();
        out.add(new PartitionLag(e.getKey(), c, end, Math.max(0, end - c)));
      }
      out.sort(Comparator.comparing((PartitionLag p) -> p.partition().topic())
          .thenComparingInt(p -> p.partition().partition()));
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the lag of group " + groupId, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot read the lag of group " + groupId + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within " + ms + " ms while reading the lag"
          + " of group " + groupId + ": check that the bootstrap servers are reachable", e);
    }
  }
}
