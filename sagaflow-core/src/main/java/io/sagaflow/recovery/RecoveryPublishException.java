package io.sagaflow.recovery;

/**
 * A retry or dead-letter record could not be written. Thrown from
 * {@link io.sagaflow.processor.FailureHandler#onFailure}, it makes the processor back off and call
 * again with the record still unfinished, so its offset is never committed past it.
 */
public final class RecoveryPublishException extends Exception {
  private static final long serialVersionUID = 1L;

  public RecoveryPublishException(String message, Throwable cause) {
    super(message, cause);
  }
}
