package io.sagaflow.recovery;

import io.sagaflow.processor.internal.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import org.apache.kafka.common.errors.SerializationException;

/**
 * How a failing record is retried: first in place (the key or partition waits), then through
 * delayed retry topics, then to a dead-letter topic.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.defaults()
 *     .withInPlaceAttempts(3)
 *     .withInitialBackoff(Duration.ofMillis(200))
 *     .withRetryTopicDelays(List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1)))
 *     .withRetryable(e -> !(e instanceof IllegalArgumentException));
 * }</pre>
 *
 * <p>Each delivery of a record (from its source topic or from a retry topic) gets up to
 * {@code inPlaceAttempts} attempts; the delay before in-place attempt {@code n + 1} is
 * {@link #backoff(int, RandomGenerator)}. A record that is still failing moves to the next retry
 * topic, and after the last one to the dead-letter topic. An exception the {@code retryable}
 * predicate rejects, and any deserialization failure (a {@link SerializationException} anywhere in
 * the cause chain, which includes the event router's {@code RoutingException}), goes straight to
 * the dead-letter topic.
 *
 * @param inPlaceAttempts attempts per delivery before the record leaves the partition (1 = no
 *     in-place retry)
 * @param initialBackoff delay after the first failed attempt
 * @param multiplier growth factor of the delay per attempt (at least 1)
 * @param maxBackoff cap of the delay (before jitter)
 * @param jitter fraction in [0, 1]: the delay is drawn uniformly from {@code [d * (1 - jitter), d]}
 * @param retryable which exceptions are worth retrying; deserialization failures never are
 * @param retryTopicDelays delays of the retry topics, in order; empty = no retry topics
 * @param retryTopicNaming name of a retry topic from (source topic, delay); default
 *     {@code <topic>-retry-<delay>}, for example {@code orders-retry-10s}
 * @param deadLetterTopicNaming name of the dead-letter topic from the source topic; default
 *     {@code <topic>-dlt}
 */
public record RetryPolicy(
    int inPlaceAttempts,
    Duration initialBackoff,
    double multiplier,
    Duration maxBackoff,
    double jitter,
    Predicate<Throwable> retryable,
    List<Duration> retryTopicDelays,
    BiFunction<String, Duration, String> retryTopicNaming,
    Function<String, String> deadLetterTopicNaming) {

  /** Validates every value and copies the delay list. */
  public RetryPolicy {
    if (inPlaceAttempts < 1) {
      throw new IllegalArgumentException(
          "inPlaceAttempts (" + inPlaceAttempts + ") must be at least 1 (1 = no in-place retry)");
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (initialBackoff.isNegative()) {
      throw new IllegalArgumentException("initialBackoff (" + initialBackoff + ") must not be negative");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff (" + maxBackoff + ") must be at least initialBackoff (" + initialBackoff + ")");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier (" + multiplier + ") must be a finite number >= 1");
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter (" + jitter + ") must be between 0 and 1");
    }
    Objects.requireNonNull(retryable, "retryable");
    retryTopicDelays = List.copyOf(Objects.requireNonNull(retryTopicDelays, "retryTopicDelays"));
    for (Duration d : retryTopicDelays) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("retryTopicDelays " + retryTopicDelays + " must all be positive");
      }
    }
    Objects.requireNonNull(retryTopicNaming, "retryTopicNaming");
    Objects.requireNonNull(deadLetterTopicNaming, "deadLetterTopicNaming");
  }

  /**
   * 3 in-place attempts (backoff 100 ms doubling up to 5 s, 20 % jitter), every non-deserialization
   * exception retryable, retry topics after 1 s, 10 s and 1 min, then {@code <topic>-dlt}.
   */
  public static RetryPolicy defaults() {
    return new RetryPolicy(3, Duration.ofMillis(100), 2.0, Duration.ofSeconds(5), 0.2, e -> true,
        List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1)),
        RetryPolicy::defaultRetryTopicName, topic -> topic + "-dlt");
  }

  /** {@code <topic>-retry-<delay>} with the delay as {@code 500ms}, {@code 10s}, {@code 1m}, {@code 2h}. */
  public static String defaultRetryTopicName(String topic, Duration delay) {
    return topic + "-retry-" + formatDelay(delay);
  }

  /** Formats a delay in the largest unit that divides it exactly: {@code 1m}, {@code 90s}, {@code 250ms}. */
  public static String formatDelay(Duration delay) {
    long ms = delay.toMillis();
    if (ms % 86_400_000L == 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1000L == 0) {
      return ms / 1000L + "s";
    }
    return ms + "ms";
  }

  /**
   * The delay before in-place attempt {@code failedAttempt + 1}: {@code initialBackoff *
   * multiplier^(failedAttempt - 1)}, capped at {@code maxBackoff}, then reduced by a random
   * fraction of at most {@code jitter}.
   *
   * @param failedAttempt the attempt that just failed, starting at 1
   * @param random source of jitter (inject a seeded one for deterministic tests)
   */
  public Duration backoff(int failedAttempt, RandomGenerator random) {
    return Backoff.exponential(initialBackoff, multiplier, maxBackoff, jitter).delay(failedAttempt, random);
  }

  /** Whether {@code error} may be retried: never for deserialization failures, else the predicate. */
  public boolean isRetryable(Throwable error) {
    return !isDeserializationFailure(error) && retryable.test(error);
  }

  /** Whether {@code error} or one of its causes is a Kafka {@link SerializationException}. */
  public static boolean isDeserializationFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SerializationException) {
        return true;
      }
    }
    return false;
  }

  /** Name of the retry topic for {@code tier} (1-based) of records from {@code sourceTopic}. */
  public String retryTopic(String sourceTopic, int tier) {
    if (tier < 1 || tier > retryTopicDelays.size()) {
      throw new IllegalArgumentException(
          "tier (" + tier + ") must be between 1 and " + retryTopicDelays.size());
    }
    return retryTopicNaming.apply(sourceTopic, retryTopicDelays.get(tier - 1));
  }

  /** Names of all retry topics of {@code sourceTopic}, tier 1 first: subscribe the retry processor to these. */
  public List<String> retryTopics(String sourceTopic) {
    return retryTopicDelays.stream().map(d -> retryTopicNaming.apply(sourceTopic, d)).toList();
  }

  /** Name of the dead-letter topic of {@code sourceTopic}. */
  public String deadLetterTopic(String sourceTopic) {
    return deadLetterTopicNaming.apply(sourceTopic);
  }

  public RetryPolicy withInPlaceAttempts(int inPlaceAttempts) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withInitialBackoff(Duration initialBackoff) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withMultiplier(double multiplier) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withMaxBackoff(Duration maxBackoff) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withJitter(double jitter) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withRetryable(Predicate<Throwable> retryable) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withRetryTopicDelays(List<Duration> retryTopicDelays) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withRetryTopicNaming(BiFunction<String, Duration, String> retryTopicNaming) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }

  public RetryPolicy withDeadLetterTopicNaming(Function<String, String> deadLetterTopicNaming) {
    return new RetryPolicy(inPlaceAttempts, initialBackoff, multiplier, maxBackoff, jitter, retryable,
        retryTopicDelays, retryTopicNaming, deadLetterTopicNaming);
  }
}
