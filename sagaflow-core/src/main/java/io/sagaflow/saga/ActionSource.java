package io.sagaflow.saga;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Where takes and channels get their actions from. The Kafka implementation is one shared reply
 * consumer per {@link SagaRuntime} that follows topics as sagas first take from them and dispatches
 * by transaction id.
 */
public interface ActionSource extends AutoCloseable {

  /**
   * Delivers every action of {@code transactionId} on {@code topics} that arrives after this method
   * returns to {@code sink}, until the subscription is closed. Blocks until that guarantee holds
   * (for Kafka: until the topics' partitions are assigned and positioned).
   *
   * <p>The sink is called on the source's thread and must not block; payloads are as decoded by
   * the source (Jackson trees for Kafka).
   *
   * @throws IllegalStateException if a topic cannot be followed (for example it does not exist)
   */
  Subscription subscribe(String transactionId, Set<String> topics, Consumer<Action<?>> sink);

  /** Releases resources; the default does nothing. */
  @Override
  default void close() {}

  /** A live subscription; closing it stops delivery. */
  interface Subscription extends AutoCloseable {
    /** Stops delivery. Idempotent. */
    @Override
    void close();
  }
}
