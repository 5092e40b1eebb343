package io.sagaflow.saga;

import java.util.concurrent.CompletableFuture;

/**
 * Where puts go. The Kafka implementation ({@link Sagas#kafkaPublisher}) writes with an idempotent
 * producer ({@code acks=all}) and completes once the broker acknowledged; tests may supply their own.
 */
public interface ActionPublisher extends AutoCloseable {

  /**
   * Writes {@code action}; the returned future completes when it is durably written and fails with
   * the write's exception otherwise.
   */
  CompletableFuture<Void> publish(Action<?> action);

  /** Releases resources; the default does nothing. */
  @Override
  default void close() {}
}
