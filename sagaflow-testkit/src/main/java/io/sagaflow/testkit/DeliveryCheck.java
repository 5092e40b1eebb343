package io.sagaflow.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An independent checker for delivery guarantees: reads a topic from the beginning with
 * {@code isolation.level=read_committed} and counts, against the records that should be there,
 * which are missing, which appear more than once, and which came out of order within their key.
 *
 * <p>Records are identified by their value as UTF-8 text, written {@code <key>:<sequence>} (for
 * example {@code user-7:42}, the 42nd record of key {@code user-7}); {@link #value(String, long)}
 * writes them. A value may carry padding after a space: only the text before the first space
 * identifies the record.
 *
 * <pre>{@code
 * DeliveryCheck.Report r = DeliveryCheck.read(bootstrap, "output", expectedValues, Duration.ofSeconds(5));
 * assertThat(r.lost()).isZero();
 * assertThat(r.duplicates()).isZero();
 * assertThat(r.reordered()).isZero();
 * }</pre>
 */
public final class DeliveryCheck {
  private DeliveryCheck() {}

  /**
   * What the reader saw.
   *
   * @param read records read (committed ones only)
   * @param lost expected values never seen
   * @param duplicates reads of a value already seen
   * @param reordered records whose sequence was lower than an earlier one of the same key
   * @param unexpected values read that were not expected
   * @param lostSample up to 10 of the lost values, to say which
   */
  public record Report(long read, long lost, long duplicates, long reordered, long unexpected, List<String> lostSample) {
    /** Every expected record exactly once, in order per key, nothing else. */
    public boolean exactlyOnceInOrder() {
      return lost == 0 && duplicates == 0 && reordered == 0 && unexpected == 0;
    }
  }

  /** The value that identifies record {@code sequence} of {@code key}. */
  public static String value(String key, long sequence) {
    return key + ":" + sequence;
  }

  /**
   * Reads {@code topic} until every expected value was seen and then nothing new arrived for
   * {@code quiet}, or until nothing new arrived for {@code quiet} at all, and reports.
   */
  public static Report read(String bootstrapServers, String topic, Collection<String> expected, Duration quiet) {
    Tally tally = new Tally(expected);
    try (KafkaConsumer<byte[], byte[]> consumer = assignedFromStart(bootstrapServers, topic)) {
      long lastNew = System.nanoTime();
      while (System.nanoTime() - lastNew < quiet.toNanos()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          lastNew = System.nanoTime();
          tally.add(r);
        }
      }
    }
    return tally.report();
  }

  /**
   * Reads {@code topic} up to its end as it is now and reports: for an output whose writers have
   * all stopped (closed or killed), where nothing more can arrive, so no quiet time is needed.
   * With {@code read_committed} the end is each partition's last stable offset: a transaction
   * still open holds back what follows it (reported lost), as it would for any reader. Kafka
   * writes a transaction's commit markers a little after {@code commitTransaction} returned, so
   * the end is taken once the last stable offset has reached the high watermark, or after {@link
   * #SETTLE} (or {@code timeout}, if shorter) if it does not (a transaction really open).
   *
   * @throws IllegalStateException if the end is not reached within {@code timeout} (a broker that
   *     answers too slowly)
   */
  public static Report readToEnd(String bootstrapServers, String topic, Collection<String> expected, Duration timeout) {
    Tally tally = new Tally(expected);
    try (KafkaConsumer<byte[], byte[]> consumer = assignedFromStart(bootstrapServers, topic)) {
      Map<TopicPartition, Long> end = settledEnd(bootstrapServers, consumer, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
        if (System.nanoTime() - deadline >= 0) {
          throw new IllegalStateException("did not read " + topic + " to its end " + end + " within " + timeout
              + ": the broker answers too slowly; allow more time, or use read with a quiet time");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          tally.add(r);
        }
      }
    }
    return tally.report();
  }

  /** How long {@link #readToEnd} waits for the last stable offsets to reach the high watermarks. */
  public static final Duration SETTLE = Duration.ofSeconds(2);

  /** The last stable offsets of {@code consumer}'s partitions, once they reached the high watermarks or after {@link #SETTLE}. */
  private static Map<TopicPartition, Long> settledEnd(String bootstrapServers, KafkaConsumer<byte[], byte[]> consumer,
      Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    try (KafkaConsumer<byte[], byte[]> uncommitted =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<TopicPartition, Long> highWatermarks = uncommitted.endOffsets(consumer.assignment(), timeout);
      long until = System.nanoTime() + Math.min(SETTLE.toNanos(), timeout.toNanos());
      while (true) {
        Map<TopicPartition, Long> stable = consumer.endOffsets(consumer.assignment(), timeout);
        if (stable.equals(highWatermarks) || System.nanoTime() - until >= 0) {
          return stable;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
  }

  private static KafkaConsumer<byte[], byte[]> assignedFromStart(String bootstrapServers, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      return consumer;
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
  }

  /** Counts what was read against what was expected. */
  private static final class Tally {
    private final Set<String> want;
    private final Set<String> seen = new HashSet<>();
    private final Map<String, Long> lastSeq = new HashMap<>();
    private long read;
    private long duplicates;
    private long reordered;
    private long unexpected;

    Tally(Collection<String> expected) {
      this.want = new HashSet<>(expected);
    }

    void add(ConsumerRecord<byte[], byte[]> r) {
      read++;
      String v = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
      int space = v.indexOf(' ');
      if (space >= 0) {
        v = v.substring(0, space);
      }
      if (!seen.add(v)) {
        duplicates++;
        return;
      }
      if (!want.contains(v)) {
        unexpected++;
      }
      int colon = v.lastIndexOf(':');
      if (colon > 0) {
        String key = v.substring(0, colon);
        long seq;
        try {
          seq = Long.parseLong(v.substring(colon + 1));
        } catch (NumberFormatException e) {
          return;
        }
        Long last = lastSeq.get(key);
        if (last != null && seq < last) {
          reordered++;
        } else {
          lastSeq.put(key, seq);
        }
      }
    }

    Report report() {
      List<String> lostSample = new ArrayList<>();
      long lost = 0;
      for (String w : want) {
        if (!seen.contains(w)) {
          lost++;
          if (lostSample.size() < 10) {
            lostSample.add(w);
          }
        }
      }
      return new Report(read, lost, duplicates, reordered, unexpected, lostSample);
    }
  }
}
