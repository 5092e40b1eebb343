package io.sagaflow.saga.internal.journal;

/**
 * A saga run's journal would exceed its {@link JournalLimits}: too many effects or too many bytes.
 * Thrown into the saga before the effect that would not fit runs (or, for a result too large to
 * journal, after it ran), so the saga fails instead of growing without bound.
 */
public final class JournalLimitException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** A limit failure. */
  public JournalLimitException(String message) {
    super(message);
  }
}
