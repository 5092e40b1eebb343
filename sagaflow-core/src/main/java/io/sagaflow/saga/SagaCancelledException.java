package io.sagaflow.saga;

/**
 * Thrown from an effect when the saga (or the race branch performing it) was cancelled, for example
 * by a timeout or by losing a {@link Race}. The thread's interrupt flag is set again when it is
 * thrown. Do not swallow it.
 */
public class SagaCancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message. */
  public SagaCancelledException(String message) {
    super(message);
  }
}
