package io.sagaflow.saga;

/**
 * Runs a saga for every action on a topic, created by
 * {@link SagaRuntime#consumer(String, Class, Saga, String)}: actions of one transaction run one after
 * another, different transactions concurrently; an offset is committed only once every saga at or
 * below it finished (or its record was dead-lettered).
 *
 * <p>Ordering. Actions that Sagaflow writes are keyed by their transaction id, so all actions of a
 * transaction share a partition and run in order. Actions written without a key (the npm package
 * sets none) are spread over the partitions by the producer: then actions of one partition run one
 * at a time in offset order, while actions on different partitions, even of one transaction, run
 * concurrently and in no particular order.
 *
 * <p>Dead letters. A record whose saga threw or timed out, or that is not an action (not JSON, no
 * {@code transaction_id}, a payload that does not convert), is written to the dead-letter topic, and
 * its offset moves on. Each one is counted ({@link #deadLetters()}, {@link
 * SagaConsumerOptions#recoveryListener()}) and logged at WARN on the {@code
 * io.sagaflow.saga.SagaConsumer} logger with topic, partition, offset and reason, at most one line
 * per 10 seconds per consumer (the next line says how many were not logged).
 */
public interface SagaConsumer extends AutoCloseable {

  /** Whether the consumer has joined its group and owns at least one partition. */
  boolean isAssigned();

  /** The records dead-lettered since this consumer started. */
  long deadLetters();

  /**
   * A snapshot of the processor under this consumer (assignment, sagas in flight, stalled records),
   * for health checks: {@link io.sagaflow.processor.ProcessorStatus#health()} is also DOWN while dead
   * letters cannot be written, and {@code problems()} then names the dead-letter topic's error.
   */
  io.sagaflow.processor.ProcessorStatus status();

  /**
   * The sagas held in memory now, running or waiting (bounded by
   * {@link DurableOptions#maxWaitingSagas()}), for a durable consumer ({@link
   * SagaConsumerOptions#durable()}); sagas evicted while idle ({@link
   * DurableOptions#withEvictIdleAfter}) are not counted. -1 for a plain consumer, which does not
   * count them.
   */
  default int residentSagas() {
    return -1;
  }

  /** Stops fetching, waits for running sagas (up to the drain timeout), commits and closes. */
  @Override
  void close();
}
