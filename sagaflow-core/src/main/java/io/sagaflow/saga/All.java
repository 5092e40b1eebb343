package io.sagaflow.saga;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Runs effects concurrently and waits for all of them. The result is a {@code List<Object>} (in
 * order) when built from a list and a {@code Map<String, Object>} (same keys) when built from a map.
 * If one fails, the others are cancelled and its exception is thrown.
 *
 * @param effects the effects by key (list positions become "0", "1", ...)
 * @param keyed whether the result is a map (true) or a list (false)
 */
public record All(Map<String, Effect<?>> effects, boolean keyed) implements Effect<Object> {

  /** Validates and copies the effects, keeping their order. */
  public All {
    effects = copy(effects);
  }

  static Map<String, Effect<?>> copy(Map<String, ? extends Effect<?>> effects) {
    Objects.requireNonNull(effects, "effects");
    Map<String, Effect<?>> copy = new LinkedHashMap<>();
    effects.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "effect " + k)));
    return Collections.unmodifiableMap(copy);
  }

  @Override
  public String describe() {
    return "all" + effects.keySet();
  }
}
