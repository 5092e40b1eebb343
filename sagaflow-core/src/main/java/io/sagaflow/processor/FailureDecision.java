package io.sagaflow.processor;

import java.time.Duration;
import java.util.Objects;

/** What happens to a failed record; returned by {@link FailureHandler#onFailure}. */
public sealed interface FailureDecision {

  /**
   * Wait {@code delay} (the record's key or partition stays blocked as its ordering requires) then
   * call the handler again with {@code attempt + 1}.
   */
  static FailureDecision retryAfter(Duration delay) {
    return new RetryAfter(delay);
  }

  /** The record is finished; its offset may be committed. */
  static FailureDecision done() {
    return Done.INSTANCE;
  }

  /** Stop the processor; the record is not committed (it is redelivered on restart). */
  static FailureDecision stop() {
    return Stop.INSTANCE;
  }

  /** See {@link FailureDecision#retryAfter(Duration)}. */
  record RetryAfter(Duration delay) implements FailureDecision {
    public RetryAfter {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("retryAfter delay (" + delay + ") must not be negative");
      }
    }
  }

  /** See {@link FailureDecision#done()}. */
  enum Done implements FailureDecision {
    INSTANCE
  }

  /** See {@link FailureDecision#stop()}. */
  enum Stop implements FailureDecision {
    INSTANCE
  }
}
