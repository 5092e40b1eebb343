package io.sagaflow.saga;

/**
 * A saga: straight-line Java run once per triggering action, on a virtual thread. Its effects
 * ({@link SagaContext#put}, {@link SagaContext#take}, ...) run through the middleware chain within
 * the action's transaction.
 *
 * <pre>{@code
 * Saga<Order> saga = (action, ctx) -> {
 *   ActionChannel<JsonNode> replies = ctx.actionChannel("PAYMENT_DONE");
 *   ctx.put("PAYMENT_REQUESTED", action.payload());
 *   Action<JsonNode> reply = ctx.take(replies);
 *   ctx.put("ORDER_CONFIRMED", reply.payload());
 * };
 * }</pre>
 *
 * @param <P> the payload type of the triggering action
 */
@FunctionalInterface
public interface Saga<P> {

  /**
   * Runs the saga. An exception thrown here fails the run (the caller dead-letters the input).
   *
   * @param action the triggering action
   * @param ctx the context that performs effects
   * @throws Exception anything; it fails the run
   */
  void run(Action<P> action, SagaContext ctx) throws Exception;
}
