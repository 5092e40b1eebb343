package io.sagaflow.saga;

import java.util.Map;

/**
 * Runs effects concurrently; the first to finish wins and the others are cancelled and awaited
 * before the race returns: a cancelled take does not consume an action, a cancelled call is
 * interrupted, a cancelled delay stops. Returns a {@link RaceResult}; if the winner failed, its
 * exception is thrown.
 *
 * @param effects the effects by key (list positions become "0", "1", ...)
 * @param keyed whether the race was built from a map
 */
public record Race(Map<String, Effect<?>> effects, boolean keyed) implements Effect<RaceResult> {

  /** Validates and copies the effects, keeping their order. */
  public Race {
    effects = All.copy(effects);
    if (effects.isEmpty()) {
      throw new IllegalArgumentException("race needs at least one effect");
    }
  }

  @Override
  public String describe() {
    return "race" + effects.keySet();
  }
}
