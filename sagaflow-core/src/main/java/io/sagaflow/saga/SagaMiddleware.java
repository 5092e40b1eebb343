package io.sagaflow.saga;

/**
 * An interceptor around every effect a saga performs, including effects nested in {@link All} and
 * {@link Race} and those of called sagas. Middleware runs left to right in registration order; each
 * calls {@link Chain#proceed(Effect)} to hand the (possibly replaced) effect to the next one, or
 * returns a result without proceeding (a stub). An exception thrown by a middleware reaches the
 * saga as if the effect had thrown it. Calling {@code proceed} twice fails with
 * {@link IllegalStateException}.
 *
 * <pre>{@code
 * SagaMiddleware redirect = chain -> chain.effect() instanceof Put put && put.topic().equals("A")
 *     ? chain.proceed(put.withTopic("B"))
 *     : chain.proceed(chain.effect());
 * }</pre>
 */
@FunctionalInterface
public interface SagaMiddleware {

  /**
   * Intercepts one effect.
   *
   * @param chain the effect, its context and the rest of the chain
   * @return the effect's result
   * @throws Exception anything; it is thrown into the saga
   */
  Object intercept(Chain chain) throws Exception;

  /** One position in the middleware chain for one effect. */
  interface Chain {

    /** The effect as handed to this middleware (possibly replaced by an earlier one). */
    Effect<?> effect();

    /** The context of the saga performing the effect. */
    SagaContext context();

    /**
     * The effect's deterministic id: a counter per logical saga thread plus its all/race/call path,
     * for example {@code "3"} or {@code "4/race/timeout"}.
     */
    String effectId();

    /**
     * Passes {@code effect} to the next middleware (or performs it) and returns its result.
     *
     * @throws IllegalStateException if called more than once on this chain
     * @throws Exception what the effect or a later middleware threw
     */
    Object proceed(Effect<?> effect) throws Exception;
  }
}
