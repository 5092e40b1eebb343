package io.sagaflow.processor.internal;

/**
 * The poll loop's clock, injected so that its timing (commit intervals, idle commits, not-before
 * delays, status refreshes, rebalance and shutdown deadlines) can be tested with a fake one.
 */
interface Ticker {
  /** The system clocks. */
  Ticker SYSTEM = new Ticker() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
      return System.currentTimeMillis();
    }
  };

  /** Monotonic time for intervals and deadlines, as {@link System#nanoTime()}. */
  long nanoTime();

  /** Wall-clock time in epoch milliseconds, as {@link System#currentTimeMillis()}. */
  long currentTimeMillis();
}
