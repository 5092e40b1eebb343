package io.sagaflow.saga;

import java.util.Objects;

/**
 * A named, typed branch of an {@code all} or a {@code race}: an effect and the key its result is
 * found under. The branch is also the typed handle that reads that result back without a cast.
 *
 * <pre>{@code
 * Branch<Action<Pizza>> baked = Branch.of("baked", Effects.take(pizzas));
 * Branch<Void> timeout = Branch.of("timeout", Effects.delay(Duration.ofSeconds(30)));
 * RaceResult r = ctx.race(baked, timeout);
 * if (r.won(baked)) {
 *   Pizza pizza = r.value(baked).payload();
 * }
 * }</pre>
 *
 * @param key the branch's name, unique within its all or race; it is also the last part of the
 *     branch's effect id, so keep it stable across deployments
 * @param effect the effect the branch performs
 * @param <T> the type of the effect's result
 */
public record Branch<T>(String key, Effect<T> effect) {

  /** Validates the branch. */
  public Branch {
    Objects.requireNonNull(key, "key");
    if (key.isBlank()) {
      throw new IllegalArgumentException("a branch key must not be blank");
    }
    Objects.requireNonNull(effect, "effect of branch " + key);
  }

  /** A branch named {@code key} performing {@code effect}. */
  public static <T> Branch<T> of(String key, Effect<T> effect) {
    return new Branch<>(key, effect);
  }
}
