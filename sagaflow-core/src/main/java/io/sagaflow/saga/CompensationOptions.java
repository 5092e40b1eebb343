package io.sagaflow.saga;

/**
 * How a saga's compensation steps run; see {@link SagaContext#addCompensation(Compensation)}.
 *
 * <pre>{@code
 * ctx.compensationOptions(CompensationOptions.DEFAULT.withParallel(true).withContinueOnFailure(true));
 * }</pre>
 *
 * @param parallel run every step at once instead of one after the other in reverse order of
 *     registration. Parallel steps all run to their end, whatever the others do.
 * @param continueOnFailure when a step fails, run the remaining steps anyway (in sequence) and
 *     collect every failure; without it, compensation stops at the first failed step and the
 *     steps registered before it do not run
 */
public record CompensationOptions(boolean parallel, boolean continueOnFailure) {

  /** Sequential, in reverse order of registration, stopping at the first failed step. */
  public static final CompensationOptions DEFAULT = new CompensationOptions(false, false);

  /** These options with {@code parallel} set. */
  public CompensationOptions withParallel(boolean runInParallel) {
    return new CompensationOptions(runInParallel, continueOnFailure);
  }

  /** These options with {@code continueOnFailure} set. */
  public CompensationOptions withContinueOnFailure(boolean continuePastFailures) {
    return new CompensationOptions(parallel, continuePastFailures);
  }
}
