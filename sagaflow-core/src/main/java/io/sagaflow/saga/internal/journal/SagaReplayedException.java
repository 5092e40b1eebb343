package io.sagaflow.saga.internal.journal;

/**
 * Thrown on replay in place of a journaled failure whose exception class cannot be rebuilt (not
 * loadable, not an {@link Exception}, or without a public {@code (String, Throwable)},
 * {@code (String)} or, for a failure without message, no-argument constructor). {@link #originalType()}
 * names the class the effect originally threw; the message is its message.
 */
public final class SagaReplayedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String originalType;

  /** A replayed failure of class {@code originalType}. */
  public SagaReplayedException(String originalType, String message, Throwable cause) {
    super(originalType + " (replayed from the saga journal): " + message, cause);
    this.originalType = originalType;
  }

  /** The class name of the exception the effect threw when it ran. */
  public String originalType() {
    return originalType;
  }
}
