package io.sagaflow.saga;

/**
 * A saga that returns a value, for {@link SagaContext#callSaga(ReturningSaga, Object)}: its effects
 * pass the caller's middleware, its return value comes back to the caller and its exception is
 * thrown into the caller.
 *
 * @param <P> the payload type
 * @param <R> the result type
 */
@FunctionalInterface
public interface ReturningSaga<P, R> {

  /**
   * Runs the saga.
   *
   * @param action the action it was called with (the caller's topic, transaction id and headers)
   * @param ctx the context that performs effects
   * @return the result
   * @throws Exception anything; it is thrown into the caller
   */
  R run(Action<P> action, SagaContext ctx) throws Exception;
}
