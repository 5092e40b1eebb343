package io.sagaflow.processor.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Schedules ready lanes onto virtual threads (runners). Starting a virtual thread per lane activation costs more
 * than a no-op handler, so a few runners take ready lanes from a shared queue and run them one
 * after another.
 *
 * <p>Design: up to {@code eager} runners start as soon as lanes are ready; a runner exits when the
 * queue is empty. Because handlers may block, the poll threads call {@link #checkStall()} every
 * turn (every millisecond or two while lanes wait): if the oldest waiting lane has waited more
 * than a millisecond, every runner is busy (blocked in a handler or not), so it starts a runner
 * for every waiting lane that no runner is already on its way to (bounded by the in-flight limit,
 * which bounds the lanes). Judging by the age of the oldest lane rather than by "no runner made
 * progress" matters when handlers block for a few milliseconds each: the runners then make
 * steady progress, yet every lane waits a handler's duration for one of them.
 */
final class LaneScheduler {
  private final ConcurrentLinkedQueue<Chunk> ready = new ConcurrentLinkedQueue<>();
  private final AtomicInteger runners = new AtomicInteger();
  /** Lanes in {@code ready}, and runners started that have not yet taken their first lane. */
  private final AtomicInteger waitingLanes = new AtomicInteger();
  private final AtomicInteger starting = new AtomicInteger();
  private final int eager;
  private final boolean perLane;
  private final ThreadFactory threads = Thread.ofVirtual().name("sagaflow-worker").factory();
  private static final long STALL_NANOS = 1_000_000L;

  LaneScheduler(int eager) {
    this(eager, false);
  }

  private LaneScheduler(int eager, boolean perLane) {
    this.eager = eager;
    this.perLane = perLane;
  }

  /**
   * Runners for handlers that mostly wait ({@code ProcessorOptions.blockingHandlers}): a runner per
   * ready lane, started at once, so no lane waits for the stall check. The in-flight limit bounds
   * the ready lanes and so the runners.
   */
  static LaneScheduler perLane() {
    return new LaneScheduler(Integer.MAX_VALUE, true);
  }

  /**
   * Lanes activated by one poll batch, handed over in chunks so the poll thread pays one queue
   * operation per chunk; a runner that takes a chunk puts the rest back before running its first
   * lane, so a blocking handler never holds the other lanes of its chunk.
   */
  private static final class Chunk {
    final Lane[] lanes;
    final long readyNanos;
    int from;

    Chunk(Lane[] lanes, long readyNanos) {
      this.lanes = lanes;
      this.readyNanos = readyNanos;
    }
  }

  private static final int CHUNK = 16;

  /** Poll thread: runs the lanes that became active in {@code lanes[0..n)}. */
  void executeAll(Lane[] lanes, int n) {
    long now = System.nanoTime();
    waitingLanes.addAndGet(n);
    for (int i = 0; i < n; i += CHUNK) {
      ready.offer(new Chunk(java.util.Arrays.copyOfRange(lanes, i, Math.min(n, i + CHUNK)), now));
    }
    int wanted = perLane ? n : (n + CHUNK - 1) / CHUNK;
    for (int r = runners.get(); r < eager && wanted > 0; r++, wanted--) {
      spawn();
    }
  }

  boolean hasWaiting() {
    return !ready.isEmpty();
  }

  /** Called by poll threads: adds runners when every runner is busy and lanes wait too long. */
  synchronized void checkStall() {
    Chunk oldest = ready.peek();
    if (oldest == null || System.nanoTime() - oldest.readyNanos < STALL_NANOS) {
      return;
    }
    int wanted = waitingLanes.get() - starting.get();
    for (int i = 0; i < wanted; i++) {
      spawn();
    }
  }

  private void spawn() {
    runners.incrementAndGet();
    starting.incrementAndGet();
    threads.newThread(this::runLoop).start();
  }

  private void runLoop() {
    boolean started = false;
    for (; ; ) {
      Chunk chunk = ready.poll();
      if (!started) {
        started = true;
        starting.decrementAndGet();
      }
      if (chunk == null) {
        runners.decrementAndGet();
        // A lane may have arrived after poll() and before the decrement: take it if nobody does.
        if (ready.isEmpty() || runners.incrementAndGet() > eager && undo()) {
          return;
        }
        continue;
      }
      waitingLanes.decrementAndGet();
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
