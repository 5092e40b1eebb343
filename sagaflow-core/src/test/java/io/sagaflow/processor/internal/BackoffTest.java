package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.FailureHandler;
import java.time.Duration;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesFromTheInitialDelayUpToTheCap() {
    Backoff b = Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(30), 0.0);
    assertThat(b.delayMillis(1)).isEqualTo(100);
    assertThat(b.delayMillis(2)).isEqualTo(200);
    assertThat(b.delayMillis(9)).isEqualTo(25_600);
    assertThat(b.delayMillis(10)).isEqualTo(30_000);
    assertThat(b.delayMillis(5_000)).isEqualTo(30_000);
  }

  @Test
  void jitterOnlyShortensTheDelayWithinItsFraction() {
    Backoff b = Backoff.exponential(Duration.ofMillis(1000), 1.0, Duration.ofMillis(1000), 0.25);
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      assertThat(b.delayMillis(1, random)).isBetween(750L, 1000L);
    }
    assertThatThrownBy(() -> b.delayMillis(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pass a random source");
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(10), 0.5, Duration.ofMillis(10), 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiplier (0.5)");
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(10), 2, Duration.ofMillis(5), 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max backoff");
    Backoff b = Backoff.exponential(Duration.ofMillis(10), 2, Duration.ofMillis(50), 0);
    assertThatThrownBy(() -> b.delayMillis(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failedAttempt (0)");
  }

  @Test
  void retryInPlaceKeepsItsDocumentedSchedule() throws Exception {
    ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("t", 0, 0, null, null);
    long[] expected = {100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000};
    for (int attempt = 1; attempt <= expected.length; attempt++) {
      FailureDecision d = FailureHandler.retryInPlace()
          .onFailure(new FailedRecord(raw, new RuntimeException("x"), attempt, "g", null));
      assertThat(((FailureDecision.RetryAfter) d).delay()).isEqualTo(Duration.ofMillis(expected[attempt - 1]));
    }
  }
}
