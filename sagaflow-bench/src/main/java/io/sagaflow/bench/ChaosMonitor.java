package io.sagaflow.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Watches one consumer group's progress on the input topic from outside, with an admin client:
 * every 250 ms it reads the group's committed offsets and the input's end offsets.
 *
 * <p>Design note. Progress is <em>commit</em> progress: for exactly-once the output and the offsets
 * become visible together, and at least once an output that is not yet committed may be produced
 * again, so the committed offsets are the one measure that means "done" in both modes.
 * <ul>
 *   <li><b>max_stall_s</b>: the longest time during which the group's committed offsets (summed
 *       over partitions) did not advance while work remained (some partition's committed offset
 *       was below its end offset). A sample that fails (broker down) counts as no progress.
 *   <li><b>max_partition_idle_s</b>: the same per partition: the longest time one partition's
 *       committed offset stayed put while that partition had lag.
 * </ul>
 * Resolution is the sampling period (about 250 ms, longer while the broker answers slowly). With
 * the processor's default 1 s commit interval a healthy run shows about 1 to 2 s.
 */
final class ChaosMonitor implements AutoCloseable {
  private final String group;
  private final String topic;
  private final int partitions;
  private final Admin admin;
  private final Thread thread;
  private volatile boolean running = true;

  // Guarded by this.
  private final long[] committed;
  private final long[] end;
  private final long[] lastChange;
  private final long[] maxIdle;
  private long lastProgress;
  private long maxStall;
  private boolean sampled;
  private long samples;

  ChaosMonitor(String bootstrap, String group, String topic, int partitions) {
    this.group = group;
    this.topic = topic;
    this.partitions = partitions;
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000));
    this.committed = new long[partitions];
    this.end = new long[partitions];
    this.lastChange = new long[partitions];
    this.maxIdle = new long[partitions];
    long now = System.nanoTime();
    this.lastProgress = now;
    java.util.Arrays.fill(lastChange, now);
    this.thread = Thread.ofPlatform().daemon().name("chaos-monitor-" + group).start(this::loop);
  }

  private void loop() {
    while (running) {
      long t0 = System.nanoTime();
      sample();
      long left = TimeUnit.MILLISECONDS.toNanos(250) - (System.nanoTime() - t0);
      if (left > 0) {
        try {
          Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left) + 1); // sampling period
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void sample() {
    Map<TopicPartition, OffsetAndMetadata> c = null;
    Map<TopicPartition, Long> e = null;
    try {
      c = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(3, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        req.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      e = new HashMap<>();
      for (var entry : admin.listOffsets(req).all().get(3, TimeUnit.SECONDS).entrySet()) {
        e.put(entry.getKey(), entry.getValue().offset());
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception ex) {
      c = null; // broker unreachable or slow: no progress seen in this sample
    }
    long now = System.nanoTime();
    synchronized (this) {
      if (c != null) {
        long before = 0;
        long after = 0;
        for (int p = 0; p < partitions; p++) {
          TopicPartition tp = new TopicPartition(topic, p);
          OffsetAndMetadata om = c.get(tp);
          long v = om == null ? 0 : om.offset();
          before += committed[p];
          after += v;
          if (v != committed[p]) {
            lastChange[p] = now;
          }
          committed[p] = v;
          end[p] = Math.max(end[p], e.getOrDefault(tp, 0L));
          if (committed[p] >= end[p]) {
            lastChange[p] = now; // nothing to do is not idle
          }
        }
        if (after > before || lag() == 0) {
          lastProgress = now;
        }
        sampled = true;
        samples++;
      }
      if (sampled && lag() > 0) {
        maxStall = Math.max(maxStall, now - lastProgress);
        for (int p = 0; p < partitions; p++) {
          if (committed[p] < end[p]) {
            maxIdle[p] = Math.max(maxIdle[p], now - lastChange[p]);
          }
        }
      }
      notifyAll();
    }
  }

  private long lag() {
    long lag = 0;
    for (int p = 0; p < partitions; p++) {
      lag += Math.max(0, end[p] - committed[p]);
    }
    return lag;
  }

  /** Committed offset per partition, as last sampled. */
  synchronized long[] committed() {
    return committed.clone();
  }

  /** Sum of the committed offsets, as last sampled. */
  synchronized long committedTotal() {
    long sum = 0;
    for (long c : committed) {
      sum += c;
    }
    return sum;
  }

  /** End offset per partition, as last sampled. */
  synchronized long[] end() {
    return end.clone();
  }

  synchronized double maxStallSeconds() {
    return maxStall / 1e9;
  }

  /** The longest idle time of one partition with lag, over all partitions but {@code except} (-1: none). */
  synchronized double maxPartitionIdleSeconds(int except) {
    long max = 0;
    for (int p = 0; p < partitions; p++) {
      if (p != except) {
        max = Math.max(max, maxIdle[p]);
      }
    }
    return max / 1e9;
  }

  /** Starts the stall clocks afresh (call once the processors are up, so that start-up is not a stall). */
  synchronized void resetClocks() {
    long now = System.nanoTime();
    lastProgress = now;
    java.util.Arrays.fill(lastChange, now);
    maxStall = 0;
    java.util.Arrays.fill(maxIdle, 0);
  }

  /**
   * Waits until a sample taken after this call shows every partition committed up to
   * {@code targetEnd} (per partition); true if so within the timeout.
   */
  synchronized boolean awaitCommitted(long[] targetEnd, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long from = samples;
    while (true) {
      if (samples > from) {
        boolean all = true;
        for (int p = 0; p < partitions; p++) {
          all &= committed[p] >= targetEnd[p];
        }
        if (all) {
          return true;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    }
  }

  /** Waits until the committed total exceeds {@code total}; true if within the timeout. */
  synchronized boolean awaitCommittedAbove(long total, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (committedTotal() <= total) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    }
    return true;
  }

  /** Waits for a fresh successful sample (the end offsets then include everything acknowledged before). */
  synchronized void awaitSample(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long from = samples;
    while (samples <= from + 1) { // one sample may have started before the call
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("no offsets sample from the broker within " + timeout);
      }
      wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    admin.close(Duration.ofSeconds(5));
  }
}
