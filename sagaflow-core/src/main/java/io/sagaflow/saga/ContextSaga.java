package io.sagaflow.saga;

/**
 * A saga that gets a user context of its own type, built from its triggering action (the npm
 * package's {@code getContext}); turn it into a {@link Saga} with
 * {@link Saga#withContext(java.util.function.Function, ContextSaga)}.
 *
 * @param <P> the payload type of the triggering action
 * @param <C> the user context type
 */
@FunctionalInterface
public interface ContextSaga<P, C> {

  /**
   * Runs the saga.
   *
   * @param action the triggering action
   * @param ctx the context that performs effects
   * @param context the user context built for this run
   * @throws Exception anything; it fails the run
   */
  void run(Action<P> action, SagaContext ctx, C context) throws Exception;
}
