package io.sagaflow.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  /** A generator that returns the given doubles in order. */
  private static RandomGenerator doubles(double... values) {
    return new RandomGenerator() {
      int i;

      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public double nextDouble() {
        return values[i++];
      }
    };
  }

  @Test
  void backoffGrowsExponentiallyUpToTheCapWithoutJitter() {
    RetryPolicy p = RetryPolicy.defaults().withInitialBackoff(Duration.ofMillis(100)).withMultiplier(2)
        .withMaxBackoff(Duration.ofMillis(1000)).withJitter(0);
    List<Long> ms = new ArrayList<>();
    for (int attempt = 1; attempt <= 6; attempt++) {
      ms.add(p.backoff(attempt, doubles()).toMillis());
    }
    assertThat(ms).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L);
  }

  @Test
  void jitterTakesAFractionOffTheDelayDeterministically() {
    RetryPolicy p = RetryPolicy.defaults().withInitialBackoff(Duration.ofMillis(100)).withMultiplier(3)
        .withMaxBackoff(Duration.ofSeconds(10)).withJitter(0.5);
    RandomGenerator random = doubles(0.0, 1.0, 0.5, 0.25);
    assertThat(p.backoff(1, random)).isEqualTo(Duration.ofMillis(100)); // 100 * (1 - 0.5*0)
    assertThat(p.backoff(2, random)).isEqualTo(Duration.ofMillis(150)); // 300 * (1 - 0.5*1)
    assertThat(p.backoff(3, random)).isEqualTo(Duration.ofMillis(675)); // 900 * (1 - 0.25)
    assertThat(p.backoff(4, random)).isEqualTo(Duration.ofMillis(2363)); // 2700 * (1 - 0.125)
  }

  @Test
  void seededGeneratorsGiveTheSameSequence() {
    RetryPolicy p = RetryPolicy.defaults();
    List<Duration> first = new ArrayList<>();
    List<Duration> second = new ArrayList<>();
    RandomGenerator s1 = java.util.random.RandomGeneratorFactory.of("L64X128MixRandom").create(42);
    RandomGenerator s2 = java.util.random.RandomGeneratorFactory.of("L64X128MixRandom").create(42);
    for (int i = 1; i <= 8; i++) {
      first.add(p.backoff(i, s1));
      second.add(p.backoff(i, s2));
    }
    assertThat(first).isEqualTo(second);
    for (int i = 0; i < 8; i++) {
      long cap = Math.min(100L << i, 5000L);
      assertThat(first.get(i).toMillis()).isBetween(Math.round(cap * 0.8), cap);
    }
  }

  @Test
  void deserializationFailuresAreNeverRetryable() {
    RetryPolicy p = RetryPolicy.defaults().withRetryable(e -> true);
    assertThat(p.isRetryable(new IllegalStateException("x"))).isTrue();
    assertThat(p.isRetryable(new SerializationException("bad bytes"))).isFalse();
    assertThat(p.isRetryable(new RuntimeException(new RecordDeserializationException(
        RecordDeserializationException.DeserializationExceptionOrigin.VALUE, new org.apache.kafka.common.TopicPartition("t", 0),
        1, 0, TimestampType.CREATE_TIME, null, null, null, "bad", null)))).isFalse();
    assertThat(p.withRetryable(e -> !(e instanceof IllegalArgumentException))
        .isRetryable(new IllegalArgumentException())).isFalse();
  }

  @Test
  void namesTopicsAfterTheirDelays() {
    RetryPolicy p = RetryPolicy.defaults().withRetryTopicDelays(
        List.of(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(90), Duration.ofMinutes(1),
            Duration.ofHours(2)));
    assertThat(p.retryTopics("orders"))
        .containsExactly("orders-retry-500ms", "orders-retry-1s", "orders-retry-90s", "orders-retry-1m", "orders-retry-2h");
    assertThat(p.deadLetterTopic("orders")).isEqualTo("orders-dlt");
    assertThat(p.withDeadLetterTopicNaming(t -> t + ".DLT").deadLetterTopic("orders")).isEqualTo("orders.DLT");
  }

  @Test
  void rejectsBadValuesNamingThem() {
    assertThatThrownBy(() -> RetryPolicy.defaults().withInPlaceAttempts(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inPlaceAttempts (0)");
    assertThatThrownBy(() -> RetryPolicy.defaults().withJitter(1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter (1.5)");
    assertThatThrownBy(() -> RetryPolicy.defaults().withRetryTopicDelays(List.of(Duration.ZERO)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must all be positive");
  }
}
