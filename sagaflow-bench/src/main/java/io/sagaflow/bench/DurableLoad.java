package io.sagaflow.bench;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The load of {@code bench durable}: sends saga inputs to {@code <prefix>-in} and times their outputs on
 * {@code <prefix>-out} ({@code read_committed}), the same for every system. Input {@code n} carries {@code n}
 * as its payload and transaction id {@code bench-n}; the system's output carries the same payload.
 *
 * <p>While it waits for outputs it asks {@code failure} about once a second whether the system's processes
 * still run; when one has stopped it gives up at once ({@link IllegalStateException}) instead of waiting for
 * the scenario's time limit.
 */
final class DurableLoad implements AutoCloseable {
  static final int PARTITIONS = 6;

  private final String in;
  private final ActionCodec codec;
  private final Supplier<String> failure;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> outputs;
  private final AtomicInteger next = new AtomicInteger();

  /**
   * @param failure why the system under test stopped, or null while it runs
   */
  DurableLoad(String bootstrap, String prefix, ActionCodec codec, Supplier<String> failure) {
    this.in = prefix + "-in";
    this.codec = codec;
    this.failure = failure;
    String out = prefix + "-out";
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "linger.ms", "1",
        "client.id", "bench-durable-inputs"), new ByteArraySerializer(), new ByteArraySerializer());
    outputs = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed",
        "client.id", "bench-durable-outputs"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      parts.add(new TopicPartition(out, p));
    }
    outputs.assign(parts);
    outputs.seekToBeginning(parts);
  }

  /** Latencies (ms) of the sagas that completed, and how many did not within the time limit. */
  record Measured(int done, int missing, double seconds, double[] sortedMillis) {
    double rate() {
      return seconds <= 0 ? 0 : done / seconds;
    }

    double percentile(double p) {
      if (sortedMillis.length == 0) {
        return 0;
      }
      return sortedMillis[Math.min(sortedMillis.length - 1, (int) Math.ceil(p * sortedMillis.length) - 1)];
    }
  }

  private void send(int n) {
    producer.send(codec.toRecord(Action.of(in, "bench-" + n, n)));
  }

  /** All {@code sagas} inputs at once; latency from the send of the first. */
  Measured saturated(int sagas, int timeoutSeconds) {
    int first = next.getAndAdd(sagas);
    long start = System.nanoTime();
    for (int i = 0; i < sagas; i++) {
      send(first + i);
    }
    producer.flush();
    long[] scheduled = new long[sagas];
    Arrays.fill(scheduled, start);
    return collect(first, scheduled, start, timeoutSeconds);
  }

  /** {@code rate} inputs per second for {@code seconds}; latency from each input's scheduled time. */
  Measured paced(int rate, int seconds, int timeoutSeconds) {
    int sagas = rate * seconds;
    int first = next.getAndAdd(sagas);
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime();
    long[] scheduled = new long[sagas];
    for (int i = 0; i < sagas; i++) {
      scheduled[i] = start + i * interval;
    }
    Thread sender = Thread.ofPlatform().name("bench-durable-pacer").start(() -> {
      for (int i = 0; i < sagas; i++) {
        long wait = scheduled[i] - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        send(first + i);
      }
      producer.flush();
    });
    try {
      return collect(first, scheduled, start, timeoutSeconds);
    } finally {
      try {
        sender.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Reads outputs until sagas {@code first..first+n-1} are all done, the time is up or the system stopped. */
  private Measured collect(int first, long[] scheduled, long start, int timeoutSeconds) {
    int n = scheduled.length;
    long[] done = new long[n];
    int count = 0;
    long last = start;
    long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    long nextCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (count < n && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : outputs.poll(Duration.ofMillis(50))) {
        long now = System.nanoTime();
        int i = codec.decode(r).payload().asInt() - first;
        if (i >= 0 && i < n && done[i] == 0) {
          done[i] = now;
          count++;
          last = now;
        }
      }
      if (count < n && System.nanoTime() >= nextCheck) {
        nextCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        String stopped = failure.get();
        if (stopped != null) {
          throw new IllegalStateException(stopped + " (" + count + " of " + n + " sagas had completed)");
        }
      }
    }
    double[] millis = new double[count];
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (done[i] != 0) {
        millis[k++] = (done[i] - scheduled[i]) / 1e6;
      }
    }
    Arrays.sort(millis);
    return new Measured(count, n - count, (last - start) / 1e9, millis);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    outputs.close();
  }
}
