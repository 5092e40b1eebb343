package io.sagaflow.processor.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with an optional downward jitter: the one backoff of Sagaflow, behind
 * {@code FailureHandler.retryInPlace()}, the processor's retries of a throwing failure handler and
 * {@code RetryPolicy.backoff}. Immutable. Not an API: public only for those sibling packages.
 *
 * <p>The delay after failed attempt {@code n} (from 1) is {@code initial * multiplier^(n - 1)},
 * capped at {@code max}, then multiplied by a factor drawn uniformly from {@code [1 - jitter, 1]},
 * rounded to the millisecond. With no jitter the random source is never used.
 */
public final class Backoff {
  private final long initialMillis;
  private final double multiplier;
  private final long maxMillis;
  private final double jitter;

  private Backoff(long initialMillis, double multiplier, long maxMillis, double jitter) {
    this.initialMillis = initialMillis;
    this.multiplier = multiplier;
    this.maxMillis = maxMillis;
    this.jitter = jitter;
  }

  /**
   * @param initial delay after the first failed attempt (not negative)
   * @param multiplier growth factor per attempt (finite, at least 1)
   * @param max cap of the delay before jitter (at least {@code initial})
   * @param jitter fraction in [0, 1] by which a delay may be shortened at random
   */
  public static Backoff exponential(Duration initial, double multiplier, Duration max, double jitter) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative()) {
      throw new IllegalArgumentException("initial backoff (" + initial + ") must not be negative");
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max backoff (" + max + ") must be at least the initial one (" + initial + ")");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier (" + multiplier + ") must be a finite number >= 1");
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter (" + jitter + ") must be between 0 and 1");
    }
    return new Backoff(initial.toMillis(), multiplier, max.toMillis(), jitter);
  }

  /** The delay after failed attempt {@code failedAttempt} (from 1), in milliseconds. */
  public long delayMillis(int failedAttempt, RandomGenerator random) {
    if (failedAttempt < 1) {
      throw new IllegalArgumentException("failedAttempt (" + failedAttempt + ") must be at least 1");
    }
    double base = initialMillis * Math.pow(multiplier, failedAttempt - 1);
    double capped = Math.min(base, maxMillis);
    double factor = jitter == 0.0 ? 1.0 : 1.0 - jitter * random.nextDouble();
    return Math.round(capped * factor);
  }

  /** {@link #delayMillis} as a duration. */
  public Duration delay(int failedAttempt, RandomGenerator random) {
    return Duration.ofMillis(delayMillis(failedAttempt, random));
  }

  /** {@link #delayMillis} of a backoff without jitter (no random source needed). */
  public long delayMillis(int failedAttempt) {
    if (jitter != 0.0) {
      throw new IllegalStateException("this backoff has jitter (" + jitter + "): pass a random source");
    }
    return delayMillis(failedAttempt, null);
  }
}
