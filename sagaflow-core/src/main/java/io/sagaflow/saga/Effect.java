package io.sagaflow.saga;

/**
 * A description of something a saga wants done, as an immutable record. Building an effect (with
 * {@link Effects}) does nothing; performing it ({@link SagaContext#perform(Effect)}) runs it through
 * the middleware chain and returns its result.
 *
 * @param <R> the type of the effect's result
 */
public sealed interface Effect<R> permits Put, Take, ActionChannelOpen, Call, All, Race, Delay, Now, Uuid {

  /** A short human-readable description, for logs and error messages. */
  String describe();
}
