package io.sagaflow.recovery;

import java.time.Instant;

/**
 * Observes the recovery path, for metrics and logs. Every method has a no-op default; an exception
 * thrown by a listener is logged and ignored. {@link MicrometerRecoveryListener} turns these calls
 * into Micrometer meters. Calls must return quickly: those that report a write ({@code
 * onRetryScheduled}, {@code onDeadLettered}, {@code onPublishFailed}) are made when the broker
 * answers, on the producer's I/O thread, for copies written from an at-least-once processor.
 */
public interface RecoveryListener {

  /** A record failed and will be retried in place after its backoff. */
  default void onInPlaceRetry(String topic, int attempt, Throwable error) {}

  /** A failed record was written to retry tier {@code tier} (1-based). */
  default void onRetryScheduled(String originTopic, int tier, String retryTopic) {}

  /** A failed record was written to the dead-letter topic. */
  default void onDeadLettered(String originTopic, String deadLetterTopic, Throwable error) {}

  /** Writing to {@code topic} failed; the record stays unfinished and health is DOWN. */
  default void onPublishFailed(String topic, Throwable error) {}

  /** A dead letter was replayed to {@code targetTopic}. */
  default void onReplayed(String deadLetterTopic, String targetTopic) {}

  /**
   * The retry-topic consumer looked at the head record of a partition ({@link
   * Recovery#retryDueTime(RecoveryListener)}): it was enqueued at {@code enqueuedAt} and is due at
   * {@code due}. Used for the "oldest waiting retry" gauge.
   */
  default void onRetryWaiting(String retryTopic, int partition, Instant enqueuedAt, Instant due) {}
}
