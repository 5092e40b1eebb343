package io.sagaflow.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples used heap ({@link MemoryMXBean#getHeapMemoryUsage()}, live objects plus garbage not yet collected)
 * every 100 ms on a daemon thread and keeps the peak.
 */
final class HeapSampler implements AutoCloseable {
  private static final long INTERVAL_MILLIS = 100;

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peakBytes = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  HeapSampler() {
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
    long used = memory.getHeapMemoryUsage().getUsed();
    peakBytes.accumulateAndGet(used, Math::max);
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
