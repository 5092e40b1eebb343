package io.sagaflow.processor;

import java.time.Duration;
import java.util.Objects;

/** What the processor does with a failed record; returned by a {@link FailureHandler}. */
public sealed interface FailureDecision {

  /** Worker waits {@code delay} then re-runs the handler with attempt+1 (key/partition stays blocked). */
  static FailureDecision retryAfter(Duration d) {
    return new RetryAfter(d);
  }

  /** Record finished; its offset may be committed. */
  static FailureDecision done() {
    return Done.INSTANCE;
  }

  /** Processor stops; the record is not committed. */
  static FailureDecision stop() {
    return Stop.INSTANCE;
  }

  /** Retry in place after {@code delay}. */
  record RetryAfter(Duration delay) implements FailureDecision {
    public RetryAfter {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay (" + delay + ") must not be negative");
      }
    }
  }

  /** The record is finished. */
  enum Done implements FailureDecision { INSTANCE }

  /** The processor stops. */
  enum Stop implements FailureDecision { INSTANCE }
}
