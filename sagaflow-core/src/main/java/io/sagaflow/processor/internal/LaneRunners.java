package io.sagaflow.processor.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Virtual threads that run ready lanes. Starting a virtual thread per lane activation costs more
 * than a no-op handler, so a few runners take ready lanes from a shared queue and run them one
 * after another.
 *
 * <p>Design: up to {@code eager} runners start as soon as lanes are ready; a runner exits when the
 * queue is empty. Because handlers may block, the poll threads call {@link #checkStall()} every
 * turn (every few milliseconds while lanes wait): if lanes wait and no runner took one for a
 * millisecond, every runner is busy, so it starts as many new runners as there are waiting lanes
 * (bounded by the in-flight limit, which bounds the lanes). Blocked handlers therefore never hold
 * back other keys for more than a poll turn.
 */
final class LaneRunners {
  private final ConcurrentLinkedQueue<Chunk> ready = new ConcurrentLinkedQueue<>();
  private final AtomicInteger runners = new AtomicInteger();
  private final AtomicLong taken = new AtomicLong();
  private final int eager;
  private final boolean perLane;
  private final ThreadFactory threads = Thread.ofVirtual().name("sagaflow-worker").factory();
  private static final long STALL_NANOS = 1_000_000L;
  private long lastTaken = -1;
  private long lastCheckNanos;

  LaneRunners(int eager) {
    this(eager, false);
  }

  private LaneRunners(int eager, boolean perLane) {
    this.eager = eager;
    this.perLane = perLane;
  }

  /**
   * Runners for handlers that mostly wait ({@code ProcessorOptions.blockingHandlers}): a runner per
   * ready lane, started at once, so no lane waits for the stall check. The in-flight limit bounds
   * the ready lanes and so the runners.
   */
  static LaneRunners perLane() {
    return new LaneRunners(Integer.MAX_VALUE, true);
  }

  /**
   * Lanes activated by one poll batch, handed over in chunks so the poll thread pays one queue
   * operation per chunk; a runner that takes a chunk puts the rest back before running its first
   * lane, so a blocking handler never holds the other lanes of its chunk.
   */
  private static final class Chunk {
    final Lane[] lanes;
    int from;

    Chunk(Lane[] lanes) {
      this.lanes = lanes;
    }
  }

  private static final int CHUNK = 16;

  void execute(Lane lane) {
    ready.offer(new Chunk(new Lane[] {lane}));
    if (runners.get() < eager) {
      spawn();
    }
  }

  /** Poll thread: runs the lanes that became active in {@code lanes[0..n)}. */
  void executeAll(Lane[] lanes, int n) {
    for (int i = 0; i < n; i += CHUNK) {
      ready.offer(new Chunk(java.util.Arrays.copyOfRange(lanes, i, Math.min(n, i + CHUNK))));
    }
    int wanted = perLane ? n : (n + CHUNK - 1) / CHUNK;
    for (int r = runners.get(); r < eager && wanted > 0; r++, wanted--) {
      spawn();
    }
  }

  boolean hasWaiting() {
    return !ready.isEmpty();
  }

  /** Called by poll threads: adds runners when every runner is stuck in a handler. */
  synchronized void checkStall() {
    if (ready.isEmpty()) {
      lastTaken = -1;
      return;
    }
    long now = System.nanoTime();
    if (now - lastCheckNanos < STALL_NANOS) {
      return; // busy runners on a loaded machine are not stuck: judge over a window
    }
    lastCheckNanos = now;
    long t = taken.get();
    if (t == lastTaken) {
      int waiting = ready.size();
      for (int i = 0; i < waiting; i++) {
        spawn();
      }
    }
    lastTaken = t;
  }

  private void spawn() {
    runners.incrementAndGet();
    threads.newThread(this::runLoop).start();
  }

  private void runLoop() {
    for (; ; ) {
      Chunk chunk = ready.poll();
      if (chunk == null) {
        runners.decrementAndGet();
        // A lane may have arrived after poll() and before the decrement: take it if nobody does.
        if (ready.isEmpty() || runners.incrementAndGet() > eager && undo()) {
          return;
        }
        continue;
      }
      taken.incrementAndGet();
      Lane lane = chunk.lanes[chunk.from++];
      if (chunk.from < chunk.lanes.length) {
        ready.offer(chunk);
      }
      Thread.interrupted(); // an interrupt meant for an earlier lane's handler
      lane.run();
    }
  }

  private boolean undo() {
    runners.decrementAndGet();
    return true;
  }
}
