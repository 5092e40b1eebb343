package io.sagaflow.saga;

import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.recovery.RecoveryListener;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link SagaConsumer}. Only the group is required; the simplest consumer is
 * {@code runtime.consumer(topic, type, saga, groupId)}.
 *
 * <pre>{@code
 * SagaConsumerOptions options = SagaConsumerOptions.of("kitchen")     // dead letters to <topic>-dlt
 *     .withMaxInFlight(200)
 *     .withRecoveryListener(MicrometerRecoveryListener.of(registry)); // counts dead letters
 * SagaConsumerOptions journaled = SagaConsumerOptions.of("orders").durable(); // survives kill -9
 * }</pre>
 *
 * @param groupId the consumer group
 * @param deadLetterTopic where records go whose saga failed or that are not actions (original bytes,
 *     Spring-compatible {@code kafka_dlt-*} headers), or {@code null} for {@code <topic>-dlt} (see
 *     {@link #deadLetterTopicFor})
 * @param maxInFlight the most sagas running at once before fetching pauses
 * @param drainTimeout how long a revoke or a close waits for running sagas before giving up on them
 *     (they are then redelivered to the next owner)
 * @param topicAdministrator creates the input and dead-letter topics when they are missing, or
 *     {@code null} for the runtime's ({@link SagaOptions#topicAdministrator()}); without either, the
 *     input topic must exist and a missing dead-letter topic is created with the input's partition
 *     count and the broker's defaults
 * @param recoveryListener told about every dead letter ({@link RecoveryListener#onDeadLettered}), for
 *     metrics: {@code MicrometerRecoveryListener} counts them as {@code
 *     sagaflow.recovery.dead.lettered} (tags {@code topic}, {@code exception})
 * @param durability the journal settings of a durable consumer ({@link #durable()}), or {@code null}
 *     for a plain one, whose sagas live in memory only
 * @param connectionTimeout how long no broker may answer the consumer before its {@link
 *     SagaConsumer#status() status} says DISCONNECTED and its health DOWN (see {@link
 *     #withConnectionTimeout})
 */
public record SagaConsumerOptions(String groupId, String deadLetterTopic, int maxInFlight, Duration drainTimeout,
    TopicAdministrator topicAdministrator, RecoveryListener recoveryListener, DurableOptions durability,
    Duration connectionTimeout) {

  /** The suffix of the default dead-letter topic: {@code <topic>-dlt}. */
  public static final String DEAD_LETTER_SUFFIX = "-dlt";

  private static final RecoveryListener NO_LISTENER = new RecoveryListener() {
    @Override
    public String toString() {
      return "RecoveryListener.none";
    }
  };

  /** Validates the options. */
  public SagaConsumerOptions {
    Objects.requireNonNull(groupId, "groupId");
    if (groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must not be blank");
    }
    if (deadLetterTopic != null && deadLetterTopic.isBlank()) {
      throw new IllegalArgumentException("deadLetterTopic must not be blank; pass null for <topic>-dlt");
    }
    if (maxInFlight <= 0) {
      throw new IllegalArgumentException("maxInFlight (" + maxInFlight + ") must be positive");
    }
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    if (drainTimeout.isNegative()) {
      throw new IllegalArgumentException("drainTimeout (" + drainTimeout + ") must not be negative");
    }
    Objects.requireNonNull(recoveryListener, "recoveryListener");
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    if (connectionTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("connectionTimeout (" + connectionTimeout + ") must be at least 1 s; keep it"
          + " well above the heartbeat interval (3 s by default)");
    }
  }

  /**
   * Options for {@code groupId}: dead letters to {@code <topic>-dlt}, 1000 in flight, 30 s drain
   * timeout, the runtime's topic administrator, DISCONNECTED after 30 s without a broker.
   */
  public static SagaConsumerOptions of(String groupId) {
    return new SagaConsumerOptions(groupId, null, 1000, Duration.ofSeconds(30), null, NO_LISTENER, null,
        Duration.ofSeconds(30));
  }

  /** {@link #of(String)} with a dead-letter topic of its own. */
  public static SagaConsumerOptions of(String groupId, String deadLetterTopic) {
    return of(groupId).withDeadLetterTopic(Objects.requireNonNull(deadLetterTopic, "deadLetterTopic"));
  }

  /** The dead-letter topic of a consumer of {@code topic}: the one set, else {@code <topic>-dlt}. */
  public String deadLetterTopicFor(String topic) {
    return deadLetterTopic != null ? deadLetterTopic : topic + DEAD_LETTER_SUFFIX;
  }

  /** These options with another dead-letter topic ({@code null}: {@code <topic>-dlt}). */
  public SagaConsumerOptions withDeadLetterTopic(String topic) {
    return new SagaConsumerOptions(groupId, topic, maxInFlight, drainTimeout, topicAdministrator, recoveryListener,
        durability, connectionTimeout);
  }

  /** These options with another in-flight bound. */
  public SagaConsumerOptions withMaxInFlight(int max) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, max, drainTimeout, topicAdministrator, recoveryListener,
        durability, connectionTimeout);
  }

  /** These options with another drain timeout. */
  public SagaConsumerOptions withDrainTimeout(Duration timeout) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, maxInFlight, timeout, topicAdministrator,
        recoveryListener, durability, connectionTimeout);
  }

  /**
   * These options with a topic administrator of their own (the caller closes it after the
   * consumer): the input and dead-letter topics are created when missing.
   */
  public SagaConsumerOptions withTopicAdministrator(TopicAdministrator administrator) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, maxInFlight, drainTimeout,
        Objects.requireNonNull(administrator, "administrator"), recoveryListener, durability, connectionTimeout);
  }

  /** These options with a listener told about every dead letter (metrics). */
  public SagaConsumerOptions withRecoveryListener(RecoveryListener listener) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, maxInFlight, drainTimeout, topicAdministrator,
        Objects.requireNonNull(listener, "listener"), durability, connectionTimeout);
  }

  /**
   * These options for a durable consumer ({@link DurableOptions#defaults()} unless already
   * durable): every saga is journaled in {@code <groupId>-saga-journal}, in the Kafka transaction
   * that also carries its puts and its input offset, and is rebuilt from the journal by whichever
   * instance of the group owns its partition next. The saga code stays the same. See the README's
   * "Durable sagas" section for the guarantees and how to change saga code safely.
   */
  public SagaConsumerOptions durable() {
    return durability != null ? this : withDurable(DurableOptions.defaults());
  }

  /** These options, durable with {@code settings} ({@code null}: not durable). */
  public SagaConsumerOptions withDurable(DurableOptions settings) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, maxInFlight, drainTimeout, topicAdministrator,
        recoveryListener, settings, connectionTimeout);
  }

  /** These options, durable, journaling to {@code topic} instead of {@code <groupId>-saga-journal}. */
  public SagaConsumerOptions withJournalTopic(String topic) {
    return withDurable(durable().durability().withJournalTopic(Objects.requireNonNull(topic, "topic")));
  }

  /**
   * These options with another bound on how long no broker may answer the consumer (no metadata,
   * fetch or heartbeat response) before its {@link SagaConsumer#status() status} says DISCONNECTED
   * and its health DOWN, naming the bootstrap servers (default 30 s). It is RUNNING again by itself
   * when a broker answers. Keep it well above the heartbeat interval (3 s by default).
   */
  public SagaConsumerOptions withConnectionTimeout(Duration timeout) {
    return new SagaConsumerOptions(groupId, deadLetterTopic, maxInFlight, drainTimeout, topicAdministrator,
        recoveryListener, durability, Objects.requireNonNull(timeout, "timeout"));
  }

  /** Whether sagas of this consumer are journaled ({@link #durable()}). */
  public boolean isDurable() {
    return durability != null;
  }
}
