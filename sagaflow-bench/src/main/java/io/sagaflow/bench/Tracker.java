package io.sagaflow.bench;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts records done and measures handler-to-commit latency inside a system's child JVM.
 *
 * <p>Design note. The topic is pre-produced, so the child knows each partition's offset range up front and
 * keeps one int per record: the microsecond (since the tracker started, plus one so that zero means "not yet")
 * at which the handler first completed it. That is 4 bytes a record (4 MB for a million), the same for every
 * system, so it does not skew the heap comparison.
 *
 * <p>A record is <em>done</em> when its handler completed and, for systems whose commits we can observe,
 * a commit covering its offset was acknowledged by the broker. Each acknowledged commit of next-offset
 * {@code o} on a partition scans the records from the previous commit up to {@code o - 1}; every completed one
 * becomes done, and its latency {@code ack time - completion time} goes into a 1 ms-bucket histogram (the p99 is
 * read from it). Commits that arrive out of order (an older async commit acknowledged after a newer one) are
 * ignored because the scan position only moves forward. A record re-delivered after a rebalance keeps its
 * first completion time and is counted once.
 */
final class Tracker {
  private static final int MAX_LATENCY_BUCKET_MS = 120_000;

  private final String topic;
  private final long expected;
  private final boolean commitsObserved;
  private final long[] baseOffsets;
  private final AtomicIntegerArray[] completionMicros;
  private final long[] committedUpTo;
  private final AtomicLongArray latencyHistogram = new AtomicLongArray(MAX_LATENCY_BUCKET_MS + 1);
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong firstCompletionNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong allDoneNanos = new AtomicLong(Long.MIN_VALUE);
  private final CountDownLatch allDone = new CountDownLatch(1);
  private final long startNanos = System.nanoTime();

  /**
   * @param startOffsets first offset of each partition (index = partition)
   * @param endOffsets   end offset (exclusive) of each partition
   */
  Tracker(String topic, long[] startOffsets, long[] endOffsets, boolean commitsObserved) {
    this.topic = topic;
    this.commitsObserved = commitsObserved;
    this.baseOffsets = startOffsets.clone();
    this.completionMicros = new AtomicIntegerArray[startOffsets.length];
    this.committedUpTo = startOffsets.clone();
    long total = 0;
    for (int p = 0; p < startOffsets.length; p++) {
      int size = Math.toIntExact(endOffsets[p] - startOffsets[p]);
      completionMicros[p] = new AtomicIntegerArray(size);
      total += size;
    }
    this.expected = total;
    if (expected == 0) {
      markAllDone();
    }
  }

  long expected() {
    return expected;
  }

  boolean commitsObserved() {
    return commitsObserved;
  }

  /** Called by the handler, on any thread, when a record's work finished. */
  void completed(int partition, long offset) {
    if (partition < 0 || partition >= completionMicros.length) {
      return;
    }
    int index = (int) (offset - baseOffsets[partition]);
    AtomicIntegerArray times = completionMicros[partition];
    if (index < 0 || index >= times.length()) {
      return;
    }
    long now = System.nanoTime();
    int stamp = (int) Math.min(Integer.MAX_VALUE, (now - startNanos) / 1_000 + 1);
    if (times.compareAndSet(index, 0, stamp)) {
      firstCompletionNanos.compareAndSet(Long.MIN_VALUE, now);
      completed.incrementAndGet();
      if (!commitsObserved) {
        countDone(1);
      }
    }
  }

  /** Called when the broker acknowledged a commit of these next-to-consume offsets. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!commitsObserved || offsets == null) {
      return;
    }
    long ackMicros = (System.nanoTime() - startNanos) / 1_000 + 1;
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
      TopicPartition tp = e.getKey();
      if (e.getValue() == null || !tp.topic().equals(topic) || tp.partition() >= completionMicros.length) {
        continue;
      }
      commitPartition(tp.partition(), e.getValue().offset(), ackMicros);
    }
  }

  private void commitPartition(int partition, long nextOffset, long ackMicros) {
    AtomicIntegerArray times = completionMicros[partition];
    long newlyDone = 0;
    synchronized (times) {
      long from = committedUpTo[partition];
      long to = Math.min(nextOffset, baseOffsets[partition] + times.length());
      for (long offset = from; offset < to; offset++) {
        int stamp = times.get((int) (offset - baseOffsets[partition]));
        if (stamp != 0) {
          newlyDone++;
          long latencyMs = Math.max(0, (ackMicros - stamp) / 1_000);
          latencyHistogram.incrementAndGet((int) Math.min(latencyMs, MAX_LATENCY_BUCKET_MS));
        }
      }
      if (to > from) {
        committedUpTo[partition] = to;
      }
    }
    if (newlyDone > 0) {
      countDone(newlyDone);
    }
  }

  private void countDone(long n) {
    if (done.addAndGet(n) >= expected) {
      markAllDone();
    }
  }

  private void markAllDone() {
    allDoneNanos.compareAndSet(Long.MIN_VALUE, System.nanoTime());
    allDone.countDown();
  }

  /** Waits until every record is done or the timeout passed; returns whether all are done. */
  boolean awaitAllDone(long timeout, TimeUnit unit) throws InterruptedException {
    return allDone.await(timeout, unit);
  }

  long done() {
    return Math.min(done.get(), expected);
  }

  long completedCount() {
    return completed.get();
  }

  /**
   * Seconds from the first completed record to the moment all were done, or to {@code nowNanos} when they are
   * not (the run timed out); from the tracker's start when nothing completed at all.
   */
  double seconds(long nowNanos) {
    long first = firstCompletionNanos.get();
    long begin = first == Long.MIN_VALUE ? startNanos : first;
    long end = allDoneNanos.get() == Long.MIN_VALUE ? nowNanos : allDoneNanos.get();
    return Math.max(0, end - begin) / 1e9;
  }

  /** The 99th percentile of handler-to-commit latency in ms, empty when commits are not observed. */
  OptionalLong p99Millis() {
    if (!commitsObserved) {
      return OptionalLong.empty();
    }
    long total = 0;
    for (int i = 0; i < latencyHistogram.length(); i++) {
      total += latencyHistogram.get(i);
    }
    if (total == 0) {
      return OptionalLong.empty();
    }
    long rank = (long) Math.ceil(total * 0.99);
    long seen = 0;
    for (int i = 0; i < latencyHistogram.length(); i++) {
      seen += latencyHistogram.get(i);
      if (seen >= rank) {
        return OptionalLong.of(i);
      }
    }
    return OptionalLong.of(MAX_LATENCY_BUCKET_MS);
  }
}
