package io.sagaflow.saga.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Where {@code delay} and {@code now} effects get their time from; injectable so tests need not sleep. */
public interface Timer {

  /** The current time, for {@code now} effects. */
  default java.time.Instant now() {
    return java.time.Instant.now();
  }

  /** A future completing after {@code duration}; cancelling it stops the timer. */
  CompletableFuture<Void> after(Duration duration);

  /**
   * Runs {@code action} after {@code duration} unless the returned handle is cancelled first; for
   * deadlines that usually do not fire (no future to complete or cancel). The action must be short:
   * it may run on the timer's own thread.
   */
  default Scheduled schedule(Duration duration, Runnable action) {
    CompletableFuture<Void> f = after(duration);
    f.thenRun(action);
    return () -> f.cancel(false);
  }

  /** A pending {@link #schedule}d action. */
  @FunctionalInterface
  interface Scheduled {
    /** Stops the action from running if it has not started; idempotent. */
    void cancel();
  }

  /** Real time on one shared scheduler thread; see {@link SystemTimer}. */
  static SystemTimer system() {
    return new SystemTimer();
  }
}
