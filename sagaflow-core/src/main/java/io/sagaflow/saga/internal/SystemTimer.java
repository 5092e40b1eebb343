package io.sagaflow.saga.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real time for a saga runtime, on one platform thread (started on demand, ended after a second
 * without work and on {@link #close}) instead of a sleeping virtual thread per delay.
 *
 * <p>Design: nearly every timer of a runtime has one of a few durations (the saga timeout of every
 * run, the timeout of a race that every saga of a kind runs), and timers of one duration expire in
 * the order they were set. So each duration gets a {@link Lane}: a FIFO list whose entries are
 * appended with their deadline computed under the lane's lock (deadlines never decrease along the
 * list) and unlinked in O(1) when cancelled, which is what almost every timer ends as. Only the
 * head of a lane is known to the scheduler: one task per lane, armed for the head's deadline; when
 * it runs it fires the due entries in order and re-arms for the new head, if any. A cancelled head
 * is not disarmed: its task finds nothing due and re-arms. Setting and cancelling a timer is
 * therefore a list link or unlink, not a heap insertion and removal under the scheduler's one lock.
 * Durations beyond the first {@value #MAX_LANES} go to the scheduler's queue directly.
 *
 * <p>Actions run on the timer thread: they must be short (completing a future, interrupting a
 * thread).
 */
public final class SystemTimer implements Timer, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SystemTimer.class);
  static final int MAX_LANES = 16;

  private final ScheduledThreadPoolExecutor executor;
  private final ConcurrentHashMap<Long, Lane> lanes = new ConcurrentHashMap<>();

  SystemTimer() {
    executor = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("sagaflow-timer").daemon().factory());
    executor.setRemoveOnCancelPolicy(true);
    executor.setKeepAliveTime(1, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** A timer set in a lane: linked while pending. */
  private static final class Entry implements Scheduled {
    final Lane lane;
    final Runnable action;
    long deadline;
    Entry prev;
    Entry next;
    boolean linked;

    Entry(Lane lane, Runnable action) {
      this.lane = lane;
      this.action = action;
    }

    @Override
    public void cancel() {
      lane.remove(this);
    }
  }

  /** The timers of one duration, in deadline order. */
  private final class Lane implements Runnable {
    final long nanos;
    private Entry head;
    private Entry tail;
    private boolean armed;

    Lane(long nanos) {
      this.nanos = nanos;
    }

    Entry add(Runnable action) {
      Entry e = new Entry(this, action);
      boolean arm;
      synchronized (this) {
        e.deadline = System.nanoTime() + nanos;
        e.prev = tail;
        if (tail == null) {
          head = e;
        } else {
          tail.next = e;
        }
        tail = e;
        e.linked = true;
        arm = !armed;
        armed = true;
      }
      if (arm) {
        arm(e.deadline);
      }
      return e;
    }

    synchronized void remove(Entry e) {
      if (!e.linked) {
        return;
      }
      unlink(e);
    }

    private void unlink(Entry e) {
      if (e.prev == null) {
        head = e.next;
      } else {
        e.prev.next = e.next;
      }
      if (e.next == null) {
        tail = e.prev;
      } else {
        e.next.prev = e.prev;
      }
      e.prev = null;
      e.next = null;
      e.linked = false;
    }

    /** On the timer thread: fires what is due, in order, then re-arms for the new head. */
    @Override
    public void run() {
      List<Runnable> due = null;
      long nextDeadline = 0;
      boolean more;
      synchronized (this) {
        long now = System.nanoTime();
        while (head != null && head.deadline - now <= 0) {
          Entry e = head;
          unlink(e);
          (due == null ? due = new ArrayList<>() : due).add(e.action);
        }
        more = head != null;
        if (more) {
          nextDeadline = head.deadline;
        } else {
          armed = false;
        }
      }
      if (due != null) {
        for (Runnable r : due) {
          runSafely(r);
        }
      }
      if (more) {
        arm(nextDeadline);
      }
    }

    private void arm(long deadline) {
      try {
        executor.schedule(this, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // Closed: what is pending never fires.
      }
    }
  }

  private static void runSafely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.error("a saga timer action failed", e);
    }
  }

  /** The lane of {@code duration}, or null when it gets none (zero, or too many durations). */
  private Lane lane(Duration duration) {
    long nanos = duration.toNanos();
    if (nanos <= 0) {
      return null;
    }
    Lane lane = lanes.get(nanos);
    if (lane == null && lanes.size() < MAX_LANES) {
      lane = lanes.computeIfAbsent(nanos, Lane::new);
    }
    return lane;
  }

  /** A delay: completes when it fires; cancelling it unsets the timer. */
  private static final class Pending extends CompletableFuture<Void> implements Runnable {
    private volatile Scheduled timer;

    @Override
    public void run() {
      complete(null);
    }

    void attach(Scheduled t) {
      timer = t;
      if (isDone()) {
        t.cancel(); // cancelled before it was attached
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      Scheduled t = timer;
      if (cancelled && t != null) {
        t.cancel();
      }
      return cancelled;
    }
  }

  @Override
  public CompletableFuture<Void> after(Duration duration) {
    Pending p = new Pending();
    if (duration.isZero()) {
      p.complete(null);
      return p;
    }
    try {
      p.attach(schedule(duration, p));
    } catch (IllegalStateException e) {
      p.completeExceptionally(e);
    }
    return p;
  }

  @Override
  public Scheduled schedule(Duration duration, Runnable action) {
    if (executor.isShutdown()) {
      throw new IllegalStateException("the saga runtime's timer is closed");
    }
    Lane lane = lane(duration);
    if (lane != null) {
      return lane.add(action);
    }
    ScheduledFuture<?> entry;
    try {
      entry = executor.schedule(() -> runSafely(action), duration.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("the saga runtime's timer is closed", e);
    }
    return () -> entry.cancel(false);
  }

  /** Drops what is pending (those timers never fire) and ends the thread. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
