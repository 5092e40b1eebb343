package io.sagaflow.saga;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link SagaConsumer}.
 *
 * @param groupId the consumer group
 * @param deadLetterTopic where records go whose saga failed or that are not actions (original bytes,
 *     Spring-compatible {@code kafka_dlt-*} headers); it must exist
 * @param maxInFlight the most sagas running at once before fetching pauses
 * @param drainTimeout how long a revoke or a close waits for running sagas before giving up on them
 *     (they are then redelivered to the next owner)
 */
public record SagaConsumerOptions(String groupId, String deadLetterTopic, int maxInFlight, Duration drainTimeout) {

  /** Validates the options. */
  public SagaConsumerOptions {
    Objects.requireNonNull(groupId, "groupId");
    if (groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must not be blank");
    }
    Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
    if (deadLetterTopic.isBlank()) {
      throw new IllegalArgumentException("deadLetterTopic must not be blank");
    }
    if (maxInFlight <= 0) {
      throw new IllegalArgumentException("maxInFlight (" + maxInFlight + ") must be positive");
    }
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    if (drainTimeout.isNegative()) {
      throw new IllegalArgumentException("drainTimeout (" + drainTimeout + ") must not be negative");
    }
  }

  /** Options for {@code groupId} and a dead-letter topic, 1000 in flight, 30 s drain timeout. */
  public static SagaConsumerOptions of(String groupId, String deadLetterTopic) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, 1000, Duration.ofSeconds(30));
  }

  /** These options with another in-flight bound. */
  public SagaConsumerOptions withMaxInFlight(int max) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, max, drainTimeout);
  }

  /** These options with another drain timeout. */
  public SagaConsumerOptions withDrainTimeout(Duration timeout) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, maxInFlight, timeout);
  }
}
