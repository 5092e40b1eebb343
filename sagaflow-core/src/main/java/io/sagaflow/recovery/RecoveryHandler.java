package io.sagaflow.recovery;

import io.sagaflow.processor.FailureHandler;
import java.util.Optional;

/**
 * The {@link FailureHandler} built by {@link Recovery#handler(RecoveryOptions)}. It owns a producer
 * (and an admin client when topics are created on demand): close it after the processor that uses
 * it.
 */
public interface RecoveryHandler extends FailureHandler, AutoCloseable {

  /**
   * Creates the retry topics and the dead-letter topic of {@code sourceTopic} now (with its
   * partition count) instead of on first failure. Call it before starting the retry-topic processor:
   * subscribing to a missing topic on a broker with auto-creation on would create it with the
   * broker's default partition count. Does nothing when topic creation is off.
   *
   * @throws RecoveryPublishException when a topic cannot be created or described
   */
  void createTopics(String sourceTopic) throws RecoveryPublishException;

  /** DOWN from a failed publish until a later publish succeeds. */
  RecoveryHealth health();

  /** The error of the last failed publish while health is DOWN. */
  Optional<Throwable> lastPublishFailure();

  @Override
  void close();
}
