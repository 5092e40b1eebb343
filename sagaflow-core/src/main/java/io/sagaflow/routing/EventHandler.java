package io.sagaflow.routing;

/**
 * Handles one event's data, typed. May block: handlers run on virtual threads. Throwing hands the
 * record to the recovery pipeline (retry, then dead letter).
 *
 * @param <T> the type the envelope's {@code data} maps to
 */
@FunctionalInterface
public interface EventHandler<T> {
  /**
   * Handles one event.
   *
   * @param data the envelope's {@code data} mapped to {@code T}; {@code null} when the envelope
   *     has no {@code data} or {@code data} is {@code null}
   * @param context the record's context, with {@link EventContext#send} for outputs
   * @throws Exception to hand the record to the processor's failure handler
   */
  void handle(T data, EventContext context) throws Exception;
}
