package io.sagaflow.saga;

import java.util.Objects;
import java.util.function.Function;

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

  /**
   * A saga that gets a typed user context, built from each triggering action by {@code contextOf}
   * (the npm package's {@code getContext}) before {@code saga} runs. The result is an ordinary
   * saga: give it to a consumer, {@link SagaRuntime#run}, {@code callSaga} or {@code SagaTester}.
   *
   * <pre>{@code
   * record Deps(Kitchen kitchen, String tenant) {}
   *
   * Saga<Order> saga = Saga.withContext(
   *     action -> new Deps(kitchen, action.header("tenant")),
   *     (action, ctx, deps) -> ctx.put("BAKED", deps.kitchen().bake(action.payload())));
   * }</pre>
   *
   * A {@code contextOf} that throws fails the run like the saga throwing would (the input goes to
   * the dead-letter topic), with an {@link IllegalStateException} naming the action.
   *
   * @param contextOf builds the context of one run from its action
   * @param saga the saga, which receives the context as its third argument
   * @param <P> the payload type
   * @param <C> the context type
   */
  static <P, C> Saga<P> withContext(Function<? super Action<P>, ? extends C> contextOf, ContextSaga<P, C> saga) {
    Objects.requireNonNull(contextOf, "contextOf");
    Objects.requireNonNull(saga, "saga");
    return (action, ctx) -> {
      C context;
      try {
        context = contextOf.apply(action);
      } catch (RuntimeException e) {
        throw new IllegalStateException("the context function of the saga failed for " + action.topic()
            + " transaction " + action.transactionId() + ": " + e, e);
      }
      saga.run(action, ctx, context);
    };
  }
}
