package io.sagaflow.saga;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/** Poll-until for tests (Awaitility): generous deadline, short polling interval, no timing assertions. */
public final class Await {
  private Await() {}

  /** Waits until {@code condition} holds, failing after 30 s. */
  public static void until(String what, BooleanSupplier condition) {
    Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(2)).until(condition::getAsBoolean);
  }
}
