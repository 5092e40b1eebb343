package io.sagaflow.saga;

/**
 * Runs a saga for every action on a topic, created by
 * {@link SagaRuntime#consumer(String, Class, Saga, SagaConsumerOptions)}: actions of one
 * transaction run one after another, different transactions concurrently; an offset is committed
 * only once every saga at or below it finished (or its record was dead-lettered).
 */
public interface SagaConsumer extends AutoCloseable {

  /** Whether the consumer has joined its group and owns at least one partition. */
  boolean isAssigned();

  /** Stops fetching, waits for running sagas (up to the drain timeout), commits and closes. */
  @Override
  void close();
}
