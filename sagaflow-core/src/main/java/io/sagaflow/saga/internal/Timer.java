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

  /** Real time: one virtual thread sleeps per pending delay and is interrupted on cancel. */
  static Timer system() {
    return duration -> {
      CompletableFuture<Void> f = new CompletableFuture<>();
      if (duration.isZero()) {
        f.complete(null);
        return f;
      }
      Thread sleeper = Thread.ofVirtual().name("sagaflow-delay").start(() -> {
        try {
          Thread.sleep(duration);
          f.complete(null);
        } catch (InterruptedException e) {
          f.cancel(false);
        }
      });
      f.whenComplete((v, e) -> {
        if (f.isCancelled()) {
          sleeper.interrupt();
        }
      });
      return f;
    };
  }
}
