package io.sagaflow.saga;

/**
 * Takes the next action of this transaction: from an open {@link ActionChannel} (the oldest
 * buffered action, or the next to arrive), or from a pattern (topics and predicate), in which case
 * only actions arriving after the take started are seen: the take subscribes, and is positioned on
 * the topics, before it waits (see {@link SagaContext#take(String)}). Exactly one of {@code channel}
 * and {@code pattern} is set.
 *
 * <p>A take cancelled by a {@link Race} never consumes an action from its channel.
 *
 * @param channel the channel to take from, or null
 * @param pattern the pattern to take, or null
 * @param <P> the payload type
 */
public record Take<P>(ActionChannel<P> channel, ActionPattern<P> pattern) implements Effect<Action<P>> {

  /** Checks that exactly one source is given. */
  public Take {
    if ((channel == null) == (pattern == null)) {
      throw new IllegalArgumentException("take needs exactly one of a channel or a pattern");
    }
  }

  @Override
  public String describe() {
    return channel != null ? "take(channel " + channel.topics() + ")" : "take(" + pattern.topics() + ")";
  }
}
