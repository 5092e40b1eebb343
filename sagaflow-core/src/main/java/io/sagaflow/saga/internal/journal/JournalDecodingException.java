package io.sagaflow.saga.internal.journal;

/**
 * A journal record, or a value in it, cannot be decoded: malformed bytes, a missing or mistyped
 * field, a format version this Sagaflow does not read, or a recorded result whose Java type cannot
 * be rebuilt. The message says which record and what is wrong. Such a saga cannot be resumed and
 * goes to the dead-letter topic; it must never crash-loop its consumer.
 */
public final class JournalDecodingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A decoding failure. */
  public JournalDecodingException(String message, Throwable cause) {
    super(message, cause);
  }
}
