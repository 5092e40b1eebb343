package io.sagaflow.ui.internal;

import io.sagaflow.kafka.KafkaCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The saga runs of every journal topic ({@code *-saga-journal}) as they stand now: each topic is
 * read once from the beginning to the end offsets taken at the start ({@code read_committed}, so
 * that a run is what its owner committed), without a consumer group. Used by {@code sagaflow
 * sagas}; the web inspector follows the same topics with {@link JournalIndex}.
 *
 * @param topics the journal topics read, in name order
 * @param runs every run, the most recently updated first
 */
public record JournalSnapshot(Set<String> topics, List<SagaRun> runs) {
  public JournalSnapshot {
    topics = Collections.unmodifiableSortedSet(new TreeSet<>(topics)); // in name order, for printing
    runs = List.copyOf(runs);
  }

  /**
   * Reads the journal topics of {@code cluster}.
   *
   * @param timeout how long listing the topics and reading them may take, each
   * @throws IllegalStateException when the broker does not answer in time, or the topics are not
   *     read to their end in time
   */
  public static JournalSnapshot read(KafkaCluster cluster, Duration timeout) {
    Set<String> topics = new TreeSet<>();
    try {
      for (String t : cluster.admin().listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        if (t.endsWith(JournalRuns.SUFFIX)) {
          topics.add(t);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing the journal topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot reach Kafka at " + cluster.options().bootstrapServers()
          + " to list the journal topics within " + timeout.toSeconds() + " s (" + JournalIndex.rootMessage(e)
          + "). Check that the broker is up", e);
    }
    JournalRuns runs = new JournalRuns();
    if (topics.isEmpty()) {
      return new JournalSnapshot(topics, runs.runs());
    }
    try (KafkaConsumer<byte[], byte[]> c = cluster.newConsumer("sagas-journal", Map.of(
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : topics) {
        c.partitionsFor(t, timeout).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp, timeout) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          c.close(CloseOptions.timeout(Duration.ZERO));
          throw new IllegalStateException("the journal topics " + topics + " were not read to their end within "
              + timeout.toSeconds() + " s; try again, or check the broker's health");
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          runs.apply(r);
        }
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new IllegalStateException("cannot read the journal topics " + topics + " from Kafka at "
          + cluster.options().bootstrapServers() + " within " + timeout.toSeconds() + " s ("
          + JournalIndex.rootMessage(e) + "). Check that the broker is up", e);
    }
    return new JournalSnapshot(topics, runs.runs());
  }
}
