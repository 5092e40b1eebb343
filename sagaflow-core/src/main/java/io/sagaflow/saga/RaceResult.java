package io.sagaflow.saga;

import java.util.Objects;

/**
 * The winner of a {@link Race}. Read it typed with the {@link Branch} the race was built from:
 *
 * <pre>{@code
 * RaceResult r = ctx.race(baked, timeout);
 * if (r.won(baked)) {
 *   Action<Pizza> pizza = r.value(baked);
 * }
 * }</pre>
 *
 * @param key the winner's key (its index as a string when the race was built from a list)
 * @param index the winner's position in the race
 * @param value the winner's result, may be null; {@link #value(Branch)} reads it typed
 */
public record RaceResult(String key, int index, Object value) {

  /** Whether {@code branch} won the race. */
  public boolean won(Branch<?> branch) {
    return key.equals(Objects.requireNonNull(branch, "branch").key());
  }

  /**
   * The winner's result, typed by its branch.
   *
   * @throws IllegalStateException if {@code branch} did not win (check {@link #won(Branch)} first)
   */
  @SuppressWarnings("unchecked")
  public <T> T value(Branch<T> branch) {
    if (!won(branch)) {
      throw new IllegalStateException("branch " + branch.key() + " did not win the race (" + key
          + " did); check won(branch) before reading its value");
    }
    // The winner's value is what the branch's Effect<T> returned.
    return (T) value;
  }

  /**
   * The winner's result cast to {@code type}.
   *
   * @deprecated build the race from {@link Branch}es and read the result with
   *     {@link #value(Branch)}, which needs no class and no cast
   */
  @Deprecated
  public <T> T value(Class<T> type) {
    return type.cast(value);
  }
}
