package io.sagaflow.ui.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalDecodingException;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.apache.kafka.common.header.Header;

/**
 * Every saga run of every journal topic, kept up to date by one thread that owns the consumer.
 *
 * <p>Design: journal topics are found by their suffix ({@value #SUFFIX}) every refresh, assigned
 * (no consumer group: the inspector commits nothing and moves no one's offsets) and read from the
 * beginning, then followed. Each record replaces the run under its key: a value is a live run's
 * full journal; a tombstone whose headers say {@code sagaflow-status} is an ended run (its final
 * journal in {@code sagaflow-journal}, its error in {@code sagaflow-error}); a bare tombstone
 * removes the run. A record that does not decode is kept as a {@code malformed} run carrying the
 * decoder's message, so the page can say which record is bad instead of failing. Runs are kept in
 * memory; the topics are compacted, so that is one entry per live run plus the tombstones that
 * compaction has not removed yet.
 */
final class JournalIndex implements AutoCloseable {
  static final String SUFFIX = "-saga-journal";
  static final String STATUS_HEADER = "sagaflow-status";
  static final String JOURNAL_HEADER = "sagaflow-journal";
  static final String ERROR_HEADER = "sagaflow-error";

  private final KafkaCluster cluster;
  private final Duration refresh;
  private final Duration timeout;
  private final JournalCodec codec = new JournalCodec(new ObjectMapper());
  private final Map<String, SagaRun> runs = new ConcurrentHashMap<>();
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
    List<SagaRun> all = new ArrayList<>(runs.values());
    all.sort(Comparator.comparing(SagaRun::updatedAt, Comparator.nullsLast(Comparator.reverseOrder()))
        .thenComparing(SagaRun::runKey));
    return all;
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
    KafkaConsumer<byte[], byte[]> c = cluster.newConsumer("ui-journal",
        Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"));
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
    String runKey = r.key() == null ? "(no key)@" + r.offset() : new String(r.key(), StandardCharsets.UTF_8);
    String id = r.topic() + "\u0000" + runKey;
    String where = runKey + " at " + r.topic() + "-" + r.partition() + "@" + r.offset();
    Instant at = Instant.ofEpochMilli(r.timestamp());
    if (r.value() != null) {
      SagaRun run;
      try {
        SagaJournal j = codec.decode(r.value(), where);
        run = new SagaRun(r.topic(), r.partition(), r.offset(), runKey, SagaRun.liveStatus(j), j, null, at);
      } catch (JournalDecodingException e) {
        run = new SagaRun(r.topic(), r.partition(), r.offset(), runKey, SagaRun.MALFORMED, null, e.getMessage(), at);
      }
      runs.put(id, run);
      return;
    }
    String status = header(r, STATUS_HEADER);
    if (status == null) {
      runs.remove(id); // a plain delete
      return;
    }
    String error = header(r, ERROR_HEADER);
    Header final_ = r.headers().lastHeader(JOURNAL_HEADER);
    SagaJournal journal = null;
    if (final_ != null) {
      try {
        journal = codec.decode(final_.value(), where + " (header " + JOURNAL_HEADER + ")");
      } catch (JournalDecodingException e) {
        runs.put(id, new SagaRun(r.topic(), r.partition(), r.offset(), runKey, SagaRun.MALFORMED, null,
            e.getMessage(), at));
        return;
      }
    } else {
      SagaRun before = runs.get(id);
      journal = before == null ? null : before.journal();
    }
    String s = SagaRun.FAILED.equals(status) ? SagaRun.FAILED : SagaRun.COMPLETED;
    runs.put(id, new SagaRun(r.topic(), r.partition(), r.offset(), runKey, s, journal, error, at));
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
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
