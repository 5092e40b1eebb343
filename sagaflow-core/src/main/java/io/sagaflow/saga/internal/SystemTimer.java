package io.sagaflow.saga.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Real time for a saga runtime: every pending delay and saga deadline is an entry in one
 * {@link ScheduledThreadPoolExecutor} (one platform thread, started on demand and ended after a
 * second without work), instead of a sleeping virtual thread each. Cancelled entries leave the
 * queue at once, so the deadline every saga run schedules and cancels costs a queue insertion and
 * removal. Completing a delay runs what waits on it on the timer thread: it only wakes the waiting
 * saga thread.
 */
public final class SystemTimer implements Timer, AutoCloseable {
  private final ScheduledThreadPoolExecutor executor;

  SystemTimer() {
    executor = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("sagaflow-timer").daemon().factory());
    executor.setRemoveOnCancelPolicy(true);
    executor.setKeepAliveTime(1, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** A delay: completes when its entry runs; cancelling it removes the entry. */
  private static final class Pending extends CompletableFuture<Void> implements Runnable {
    private volatile ScheduledFuture<?> entry;

    @Override
    public void run() {
      complete(null);
    }

    void attach(ScheduledFuture<?> e) {
      entry = e;
      if (isDone()) {
        e.cancel(false); // cancelled before it was attached
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      ScheduledFuture<?> e = entry;
      if (cancelled && e != null) {
        e.cancel(false);
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
      p.attach(executor.schedule(p, duration.toNanos(), TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      p.completeExceptionally(new IllegalStateException("the saga runtime's timer is closed", e));
    }
    return p;
  }

  @Override
  public Scheduled schedule(Duration duration, Runnable action) {
    ScheduledFuture<?> entry;
    try {
      entry = executor.schedule(action, duration.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("the saga runtime's timer is closed", e);
    }
    return () -> entry.cancel(false);
  }

  /** Drops what is pending (those delays never complete) and ends the thread. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
