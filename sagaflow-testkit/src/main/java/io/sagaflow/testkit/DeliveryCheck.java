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
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Set<String> want = new HashSet<>(expected);
    Set<String> seen = new HashSet<>();
    Map<String, Long> lastSeq = new HashMap<>();
    long read = 0;
    long duplicates = 0;
    long reordered = 0;
    long unexpected = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long lastNew = System.nanoTime();
      while (System.nanoTime() - lastNew < quiet.toNanos()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          lastNew = System.nanoTime();
          read++;
          String v = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
          int space = v.indexOf(' ');
          if (space >= 0) {
            v = v.substring(0, space);
          }
          if (!seen.add(v)) {
            duplicates++;
            continue;
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
              continue;
            }
            Long last = lastSeq.get(key);
            if (last != null && seq < last) {
              reordered++;
            } else {
              lastSeq.put(key, seq);
            }
          }
        }
      }
    }
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
