/**
 * Saga implementation: the effect interpreter ({@link io.sagaflow.saga.internal.SagaEngine}, which
 * sends every effect through the middleware to {@link io.sagaflow.saga.internal.EffectExecutor};
 * channels, fork/join, races and waits are parts of their own), the effect-result seam
 * ({@link io.sagaflow.saga.internal.EffectRecorder}) and the durable journal's recorder
 * ({@link io.sagaflow.saga.internal.JournalRecorder}), the Kafka publisher and
 * shared reply consumer, the runner seam for topic consumers
 * ({@link io.sagaflow.saga.internal.SagaRunner}) and test doubles (loopback bus, manual timer).
 * The durable consumer ({@link io.sagaflow.saga.internal.DurableSagaConsumer}) is split into
 * parts with one job each: {@code DurableLoop} (its thread), {@code ResidentRuns}, {@code
 * JournalRestore}, {@code JournalTransactions} (with {@code JournalWriter} and {@code
 * JournalCommitter}), {@code DurableRecovery}, {@code DurableRebalance} and {@code DurableStatus}.
 * Not API: exported only to sibling Sagaflow modules (the testkit).
 */
package io.sagaflow.saga.internal;
