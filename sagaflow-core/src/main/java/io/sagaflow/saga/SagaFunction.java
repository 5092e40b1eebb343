package io.sagaflow.saga;

/**
 * A one-argument function a saga calls with {@link SagaContext#call(SagaFunction, Object)}; it may
 * throw checked exceptions, which reach the saga wrapped in {@link SagaException}.
 *
 * @param <A> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface SagaFunction<A, R> {

  /** Applies the function. */
  R apply(A arg) throws Exception;
}
