package io.sagaflow.saga.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Virtual time for tests: delays complete only when {@link #advance} moves the clock past them. */
public final class ManualTimer implements Timer {
  private record Pending(Duration due, long seq, CompletableFuture<Void> future) {}

  private final List<Pending> pending = new ArrayList<>();
  private Duration now = Duration.ZERO;
  private long seq;

  @Override
  public synchronized CompletableFuture<Void> after(Duration duration) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (duration.isZero()) {
      f.complete(null);
      return f;
    }
    Pending p = new Pending(now.plus(duration), seq++, f);
    pending.add(p);
    f.whenComplete((v, e) -> remove(p));
    return f;
  }

  private synchronized void remove(Pending p) {
    pending.remove(p);
  }

  /** The virtual clock: the epoch plus the virtual time elapsed. */
  @Override
  public java.time.Instant now() {
    return java.time.Instant.EPOCH.plus(elapsed());
  }

  /** The virtual time elapsed so far. */
  public synchronized Duration elapsed() {
    return now;
  }

  /** The number of delays waiting. */
  public synchronized int pending() {
    return pending.size();
  }

  /** Moves time forward by {@code duration}, completing the delays that became due, earliest first. */
  public void advance(Duration duration) {
    List<Pending> due = new ArrayList<>();
    synchronized (this) {
      now = now.plus(duration);
      for (Pending p : pending) {
        if (p.due().compareTo(now) <= 0) {
          due.add(p);
        }
      }
    }
    due.sort(Comparator.comparing(Pending::due).thenComparingLong(Pending::seq));
    due.forEach(p -> p.future().complete(null));
  }

  /**
   * Moves time to the earliest pending delay and completes it (and any due at the same time).
   * Returns false when no delay is pending.
   */
  public boolean fireNext() {
    Duration target;
    synchronized (this) {
      target = pending.stream().map(Pending::due).min(Comparator.naturalOrder()).orElse(null);
      if (target == null) {
        return false;
      }
    }
    Duration step = target.minus(elapsed());
    advance(step.isNegative() ? Duration.ZERO : step);
    return true;
  }
}
