package io.sagaflow.routing;

/**
 * Handles one event's data, typed. May block: handlers run on virtual threads. Throwing hands the
 * record to the recovery pipeline (retry, then dead letter).
 *
 * @param <T> the type the envelope's {@code data} maps to
 */
@FunctionalInterface
public interface EventHandler<T> {
  void handle(T data, EventContext context) throws Exception;
}
