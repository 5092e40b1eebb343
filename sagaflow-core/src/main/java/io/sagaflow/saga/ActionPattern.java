package io.sagaflow.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What a {@link Take} or {@link ActionChannelOpen} listens for: one or more topics, an optional
 * predicate, and the payload type actions are converted to (with Jackson) before the predicate sees
 * them. Only actions of the saga's own transaction are ever considered.
 *
 * <pre>{@code
 * ActionPattern<Pizza> ready = ActionPattern.of("PIZZA_READY", Pizza.class)
 *     .where(a -> a.payload().size() > 30);
 * }</pre>
 *
 * @param topics the topics, at least one
 * @param predicate the filter, never null (accepts all by default)
 * @param payloadType the payload type
 * @param <P> the payload type
 */
public record ActionPattern<P>(List<String> topics, Predicate<? super Action<P>> predicate, Class<P> payloadType) {

  /** Validates the pattern. */
  public ActionPattern {
    Objects.requireNonNull(topics, "topics");
    topics = List.copyOf(topics);
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("an action pattern needs at least one topic");
    }
    for (String t : topics) {
      if (t.isBlank()) {
        throw new IllegalArgumentException("action pattern topics must not be blank: " + topics);
      }
    }
    Objects.requireNonNull(predicate, "predicate");
    Objects.requireNonNull(payloadType, "payloadType");
  }

  /** Actions on {@code topic}, payload as a Jackson tree. */
  public static ActionPattern<JsonNode> of(String topic) {
    return new ActionPattern<>(List.of(topic), a -> true, JsonNode.class);
  }

  /** Actions on {@code topic}, payload converted to {@code payloadType}. */
  public static <P> ActionPattern<P> of(String topic, Class<P> payloadType) {
    return new ActionPattern<>(List.of(topic), a -> true, payloadType);
  }

  /** Actions on any of {@code topics}, payload as a Jackson tree. */
  public static ActionPattern<JsonNode> anyOf(List<String> topics) {
    return new ActionPattern<>(topics, a -> true, JsonNode.class);
  }

  /** Actions on any of {@code topics}, payload converted to {@code payloadType}. */
  public static <P> ActionPattern<P> anyOf(List<String> topics, Class<P> payloadType) {
    return new ActionPattern<>(topics, a -> true, payloadType);
  }

  /** This pattern restricted to actions that also match {@code filter}. */
  public ActionPattern<P> where(Predicate<? super Action<P>> filter) {
    Objects.requireNonNull(filter, "filter");
    Predicate<? super Action<P>> current = predicate;
    return new ActionPattern<>(topics, a -> current.test(a) && filter.test(a), payloadType);
  }
}
