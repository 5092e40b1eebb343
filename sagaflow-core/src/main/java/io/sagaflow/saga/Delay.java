package io.sagaflow.saga;

import java.time.Duration;
import java.util.Objects;

/**
 * Waits for {@code duration}, then returns {@code value}. A cancelled delay stops.
 *
 * @param duration how long to wait, not negative
 * @param value the value to return, may be null
 * @param <T> the value type
 */
public record Delay<T>(Duration duration, T value) implements Effect<T> {

  /** Validates the duration. */
  public Delay {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("delay duration (" + duration + ") must not be negative");
    }
  }

  @Override
  public String describe() {
    return "delay(" + duration + ")";
  }
}
