package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.sagaflow.testkit.DeliveryCheck;

/**
 * The input of a chaos scenario: keyed records at a steady rate, in a thread of its own, so that
 * there is always work while faults happen. Values are {@code key-0042:17} (the 17th record of
 * key {@code key-0042}, see {@link DeliveryCheck}). The producer is idempotent with {@code acks=all}
 * and waits out broker outages (10-minute delivery and block timeouts), so the input keeps its
 * per-key order; only records the broker acknowledged count as expected output.
 */
final class ChaosLoad implements AutoCloseable {
  static final int KEYS = 600;

  private final String topic;
  private final int ratePerSecond;
  private final KafkaProducer<byte[], byte[]> producer;
  private final long[] seq = new long[KEYS];
  private final List<Acked> acknowledged = new ArrayList<>();

  /** A record the broker acknowledged, and where it went. */
  record Acked(String value, int partition, long offset) {}
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean running;
  private Thread thread;
  private long sent;

  ChaosLoad(String bootstrap, String topic, int ratePerSecond) {
    if (ratePerSecond <= 0) {
      throw new IllegalArgumentException("rate (" + ratePerSecond + ") must be positive");
    }
    this.topic = topic;
    this.ratePerSecond = ratePerSecond;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Starts producing {@code ratePerSecond} records a second until {@link #stop()}. */
  synchronized void start() {
    running = true;
    thread = Thread.ofPlatform().daemon().name("chaos-load").start(this::produce);
  }

  private void produce() {
    long t0 = System.nanoTime();
    while (running) {
      long due = (System.nanoTime() - t0) * ratePerSecond / 1_000_000_000L;
      while (running && sent < due) {
        sendOne();
      }
      try {
        Thread.sleep(10); // pacing, not synchronisation
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void sendOne() {
    int k = (int) (sent++ % KEYS);
    String key = String.format(Locale.ROOT, "key-%04d", k);
    String value = DeliveryCheck.value(key, ++seq[k]);
    producer.send(record(key, value), (md, e) -> {
      if (e == null) {
        synchronized (acknowledged) {
          acknowledged.add(new Acked(value, md.partition(), md.offset()));
        }
      } else {
        failed.incrementAndGet();
      }
    });
  }

  /**
   * Sends a record whose value starts with {@code poison} (it fails in {@link ChaosChildMain}) on
   * key {@code key} and waits for its acknowledgement. It is not part of {@link #acknowledged()}.
   */
  RecordMetadata sendPoison(String key) throws Exception {
    return producer.send(record(key, "poison " + key)).get();
  }

  private ProducerRecord<byte[], byte[]> record(String key, String value) {
    return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  /** Stops producing and waits until every record sent is acknowledged or failed. */
  synchronized void stop() throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.join();
    }
    producer.flush();
  }

  /** Values of the records the broker acknowledged, in send order per key. */
  List<String> acknowledged() {
    synchronized (acknowledged) {
      return acknowledged.stream().map(Acked::value).toList();
    }
  }

  /**
   * Values of the acknowledged records below {@code committed} (per partition): those a consumer
   * group with these committed offsets has declared done, so any of them missing from the output
   * was skipped, not merely not yet processed.
   */
  List<String> committedBy(long[] committed) {
    synchronized (acknowledged) {
      return acknowledged.stream().filter(a -> a.offset() < committed[a.partition()]).map(Acked::value).toList();
    }
  }

  /** Records whose send failed (not expected in the output). */
  long failed() {
    return failed.get();
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(java.time.Duration.ofSeconds(10));
  }
}
