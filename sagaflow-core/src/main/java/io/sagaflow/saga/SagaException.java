package io.sagaflow.saga;

/**
 * Wraps a checked exception thrown by a call, a called saga or a middleware so it can be thrown from
 * {@link SagaContext} methods; unchecked exceptions are thrown unwrapped.
 */
public class SagaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message and cause. */
  public SagaException(String message, Throwable cause) {
    super(message, cause);
  }
}
