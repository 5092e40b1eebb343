package io.sagaflow.saga;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The results of {@link SagaContext#all(Branch...)}, read back typed by branch.
 *
 * <pre>{@code
 * Branch<Receipt> payment = Branch.of("payment", Effects.call(this::charge, card, cents));
 * Branch<Action<Slot>> slot = Branch.of("slot", Effects.take(slots));
 * AllResult r = ctx.all(payment, slot);
 * Receipt receipt = r.get(payment);
 * }</pre>
 */
public final class AllResult {
  private final Map<String, Object> values;

  /**
   * Results by branch key, as the {@link All} effect returns them.
   *
   * @param values the results by key, may hold nulls; copied
   */
  public AllResult(Map<String, ?> values) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(values, "values")));
  }

  /**
   * The result of {@code branch}.
   *
   * @throws IllegalArgumentException if the branch was not part of this {@code all}
   */
  @SuppressWarnings("unchecked")
  public <T> T get(Branch<T> branch) {
    Objects.requireNonNull(branch, "branch");
    if (!values.containsKey(branch.key())) {
      throw new IllegalArgumentException("branch " + branch.key() + " was not part of this all; its branches are "
          + values.keySet());
    }
    // The value under this key is what the branch's Effect<T> returned.
    return (T) values.get(branch.key());
  }

  /** The results by branch key, in branch order (values may be null). */
  public Map<String, Object> asMap() {
    return values;
  }

  @Override
  public String toString() {
    return "AllResult" + values;
  }
}
