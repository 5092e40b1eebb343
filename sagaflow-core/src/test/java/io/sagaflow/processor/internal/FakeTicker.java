package io.sagaflow.processor.internal;

import java.time.Duration;

/** A clock that moves only when a test says so. */
final class FakeTicker implements Ticker {
  private long nanos = 5_000_000_000L;
  private long millis = 1_800_000_000_000L;

  private Runnable onNextRead;

  @Override
  public long nanoTime() {
    Runnable r = onNextRead;
    if (r != null) {
      onNextRead = null;
      r.run();
    }
    return nanos;
  }

  /** Runs {@code r} once, at the next read of {@link #nanoTime()} (on the reading thread). */
  void onNextRead(Runnable r) {
    onNextRead = r;
  }

  @Override
  public long currentTimeMillis() {
    return millis;
  }

  void advance(Duration d) {
    nanos += d.toNanos();
    millis += d.toMillis();
  }
}
