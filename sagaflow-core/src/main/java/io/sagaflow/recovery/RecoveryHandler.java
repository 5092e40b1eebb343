package io.sagaflow.recovery;

import io.sagaflow.processor.FailureHandler;
import java.util.Optional;

/**
 * The {@link FailureHandler} built by {@link Recovery#handler(RecoveryOptions)}. It owns a producer
 * (and an admin client when topics are created on demand): close it after the processor that uses
 * it.
 */
public interface RecoveryHandler extends FailureHandler, AutoCloseable {

  /** DOWN from a failed publish until a later publish succeeds. */
  RecoveryHealth health();

  /** The error of the last failed publish while health is DOWN. */
  Optional<Throwable> lastPublishFailure();

  @Override
  void close();
}
