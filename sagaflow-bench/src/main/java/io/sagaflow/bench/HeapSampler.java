package io.sagaflow.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** Samples the heap every 100 ms on a daemon thread and keeps the peak. */
final class HeapSampler implements AutoCloseable {
  private static final long INTERVAL_MILLIS = 100;

  /** What "heap" means in the RESULT line. */
  enum Measure {
    /** {@code MemoryMXBean.getHeapMemoryUsage().getUsed()}: live objects plus garbage not yet collected. */
    USED,
    /** Sum over heap pools of {@code MemoryPoolMXBean.getCollectionUsage()}: what survived the last GC. */
    AFTER_GC;

    static Measure parse(String text) {
      return switch (text.toLowerCase(Locale.ROOT)) {
        case "used" -> USED;
        case "after-gc" -> AFTER_GC;
        default -> throw new IllegalArgumentException(
            "heap measure '" + text + "' is unknown; use 'used' or 'after-gc'");
      };
    }
  }

  private final Measure measure;
  private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP)
      .toList();
  private final AtomicLong peakBytes = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  HeapSampler(Measure measure) {
    this.measure = measure;
    sample();
    thread = Thread.ofPlatform().daemon().name("bench-heap-sampler").start(this::loop);
  }

  private void loop() {
    while (running) {
      sample();
      try {
        Thread.sleep(INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void sample() {
    long bytes = measure == Measure.USED
        ? ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()
        : afterLastGc();
    peakBytes.accumulateAndGet(bytes, Math::max);
  }

  private long afterLastGc() {
    long sum = 0;
    for (MemoryPoolMXBean pool : heapPools) {
      MemoryUsage usage = pool.getCollectionUsage();
      if (usage != null) {
        sum += usage.getUsed();
      }
    }
    return sum;
  }

  long peakMb() {
    sample();
    return Math.round(peakBytes.get() / (1024.0 * 1024.0));
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
