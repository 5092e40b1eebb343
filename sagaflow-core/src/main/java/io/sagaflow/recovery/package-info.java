/**
 * Recovery: a failing record never blocks its partition for long and is never lost.
 *
 * <p>Tiers: in-place retries with exponential backoff and jitter ({@link
 * io.sagaflow.recovery.RetryPolicy}), then delayed retry topics ({@code <topic>-retry-<delay>},
 * consumed by a processor whose not-before function is {@link
 * io.sagaflow.recovery.Recovery#retryDueTime()}), then a dead-letter topic ({@code <topic>-dlt})
 * whose headers follow Spring Kafka's names and encodings ({@link
 * io.sagaflow.recovery.RecoveryHeaders}, decoded by {@link io.sagaflow.recovery.DeadLetterHeaders}).
 * The entry points are {@link io.sagaflow.recovery.Recovery#handler(RecoveryOptions)}, which builds
 * the processor's {@link io.sagaflow.processor.FailureHandler}, and {@link
 * io.sagaflow.recovery.DeadLetters} to list, show and replay dead letters.
 */
package io.sagaflow.recovery;
