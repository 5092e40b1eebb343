package io.sagaflow.bench;

import io.sagaflow.saga.SagaConsumer;
import java.time.Duration;

/** Waits for a benchmark's saga consumer to hold partitions before anything is measured. */
final class Assignments {
  private static final long POLL_MILLIS = 20;

  private Assignments() {}

  /**
   * Returns once {@code consumer} holds partitions.
   *
   * @param what names the consumer in the error, e.g. "the echo participant"
   * @throws IllegalStateException when it holds none within {@code timeout}
   */
  static void await(SagaConsumer consumer, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!consumer.isAssigned()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(what + " got no partitions within " + timeout.toSeconds() + " s");
      }
      Thread.sleep(POLL_MILLIS); // a status flag, not an event to wait on: poll it
    }
  }
}
