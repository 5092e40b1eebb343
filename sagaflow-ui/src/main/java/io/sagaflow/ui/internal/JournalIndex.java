package io.sagaflow.ui.internal;

import io.sagaflow.kafka.KafkaCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Every saga run of every journal topic, kept up to date by one thread that owns the consumer.
 *
 * <p>Design: journal topics are found by their suffix ({@value #SUFFIX}) every refresh, assigned
 * (no consumer group: the inspector commits nothing and moves no one's offsets) and read from the
 * beginning, then followed; {@link JournalRuns} turns the records into runs (shared with the
 * CLI's one-shot {@link JournalSnapshot}). Runs are kept in memory; the topics are compacted, so
 * that is one entry per live run plus the tombstones that compaction has not removed yet.
 */
final class JournalIndex implements AutoCloseable {
  static final String SUFFIX = JournalRuns.SUFFIX;

  private final KafkaCluster cluster;
  private final Duration refresh;
  private final Duration timeout;
  private final JournalRuns runs = new JournalRuns();
  private final Set<String> topics = ConcurrentHashMap.newKeySet();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread thread;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile String problem;

  JournalIndex(KafkaCluster cluster, Duration refresh, Duration timeout) {
    this.cluster = cluster;
    this.refresh = refresh;
    this.timeout = timeout;
    this.thread = Thread.ofPlatform().name("sagaflow-ui-journal").daemon().unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  /** Every run, the most recently updated first. */
  List<SagaRun> runs() {
    return runs.runs();
  }

  /** The journal topics found. */
  Set<String> topics() {
    return Set.copyOf(topics);
  }

  /** Why the journal cannot be read right now (the broker is unreachable, ...), or null. */
  String problem() {
    return problem;
  }

  private void run() {
    // read_committed: durable consumers write their journals in transactions; an aborted one never happened.
    KafkaConsumer<byte[], byte[]> c = cluster.newConsumer("ui-journal", Map.of(
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    try {
      consumer = c;
      if (closed.getCount() == 0) {
        return;
      }
      Set<TopicPartition> assigned = new HashSet<>();
      long nextDiscovery = 0;
      while (closed.getCount() > 0) {
        if (System.nanoTime() - nextDiscovery >= 0) {
          discover(c, assigned);
          nextDiscovery = System.nanoTime() + refresh.toNanos();
        }
        if (assigned.isEmpty()) {
          closed.await(refresh.toMillis(), TimeUnit.MILLISECONDS);
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(refresh)) {
          apply(r);
        }
      }
    } catch (WakeupException | InterruptException | InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      problem = "the journal reader stopped: " + e + "; restart `sagaflow ui`";
    } finally {
      Thread.interrupted(); // only close() interrupts; the consumer's close must not see it
      // Bounded: with the broker gone, the default close would wait 30 s for fetch sessions to end.
      c.close(CloseOptions.timeout(timeout));
    }
  }

  private void discover(KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> assigned) {
    try {
      Set<String> names = cluster.admin().listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<TopicPartition> added = new ArrayList<>();
      for (String t : names) {
        if (t.endsWith(SUFFIX) && topics.add(t)) {
          c.partitionsFor(t, timeout).forEach(p -> added.add(new TopicPartition(t, p.partition())));
        }
      }
      if (!added.isEmpty()) {
        assigned.addAll(added);
        c.assign(assigned);
        c.seekToBeginning(added);
      }
      problem = null;
    } catch (InterruptedException e) {
      throw new WakeupException(); // close() interrupts: stop (the flag stays clear so the consumer can close)
    } catch (WakeupException e) {
      throw e;
    } catch (Exception e) {
      problem = "cannot reach Kafka at " + cluster.options().bootstrapServers() + " to list the journal topics ("
          + rootMessage(e) + "); showing what was read before. Check that the broker is up.";
    }
  }

  void apply(ConsumerRecord<byte[], byte[]> r) {
    runs.apply(r);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  @Override
  public void close() {
    closed.countDown();
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup(); // out of poll
    }
    thread.interrupt(); // out of a wait for the admin client (the broker may be gone)
    try {
      thread.join(Duration.ofSeconds(15));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
