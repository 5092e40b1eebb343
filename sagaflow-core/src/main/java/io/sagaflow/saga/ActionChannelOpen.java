package io.sagaflow.saga;

import java.util.Objects;

/**
 * Opens an {@link ActionChannel}: from the moment performing it returns, every action of this
 * transaction on the pattern's topics that matches is buffered in FIFO order, so a channel opened
 * before a {@link Put} never misses the reply.
 *
 * @param pattern topics, predicate and payload type
 * @param buffer the buffer to use, or null for a bounded buffer of the configured default capacity
 *     that fails the channel when full
 * @param <P> the payload type
 */
public record ActionChannelOpen<P>(ActionPattern<P> pattern, ActionChannelBuffer<Action<P>> buffer)
    implements Effect<ActionChannel<P>> {

  /** Checks the pattern. */
  public ActionChannelOpen {
    Objects.requireNonNull(pattern, "pattern");
  }

  @Override
  public String describe() {
    return "actionChannel(" + pattern.topics() + ")";
  }
}
