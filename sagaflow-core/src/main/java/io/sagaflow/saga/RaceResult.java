package io.sagaflow.saga;

/**
 * The winner of a {@link Race}.
 *
 * @param key the winner's key (its index as a string when the race was built from a list)
 * @param index the winner's position in the race
 * @param value the winner's result, may be null
 */
public record RaceResult(String key, int index, Object value) {

  /** The winner's result cast to {@code type}. */
  public <T> T value(Class<T> type) {
    return type.cast(value);
  }
}
