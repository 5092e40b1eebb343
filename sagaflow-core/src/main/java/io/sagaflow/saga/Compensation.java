package io.sagaflow.saga;

/**
 * An undo step registered with {@link SagaContext#addCompensation(Compensation)}: code that
 * receives a context and undoes, with effects, what the saga did before it registered the step.
 *
 * <pre>{@code
 * Receipt receipt = ctx.call(payments::charge, order.card(), order.cents());
 * ctx.addCompensation(c -> c.call(payments::refund, receipt));
 * }</pre>
 *
 * Its effects are performed like the saga's own (middleware sees them, they get deterministic
 * effect ids under {@code compensate/<n>/}); a checked exception it throws counts as the step's
 * failure.
 */
@FunctionalInterface
public interface Compensation {

  /**
   * Undoes one step.
   *
   * @param ctx the context to perform effects with
   * @throws Exception the step's failure
   */
  void run(SagaContext ctx) throws Exception;
}
