package io.sagaflow.saga;

/**
 * Compensation of a saga, as an exception.
 *
 * <ul>
 *   <li>Thrown by {@link SagaContext#compensate()} when a step failed: {@link #getCause()} is the
 *       first failure, and every failure is among {@link #getSuppressed()}.
 *   <li>Added, as a record of what happened, to the suppressed exceptions of a saga's failure when
 *       the saga compensated after it threw; its message says how many steps ran and failed (so a
 *       dead letter's stack trace header shows the saga was compensated). The failures of the
 *       steps are added there too, each as a suppressed exception of the saga's failure.
 * </ul>
 */
public class CompensationException extends SagaException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message and cause (null when no step failed). */
  public CompensationException(String message, Throwable cause) {
    super(message, cause);
  }
}
