package io.sagaflow.saga;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Poll-until for tests: generous deadline, short polling interval, no timing assertions. */
public final class Await {
  private Await() {}

  /** Waits until {@code condition} holds, failing after 30 s. */
  public static void until(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what, e);
      }
    }
  }
}
