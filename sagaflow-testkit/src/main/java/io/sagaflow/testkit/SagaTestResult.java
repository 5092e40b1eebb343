package io.sagaflow.testkit;

import io.sagaflow.saga.Action;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * What a saga did in a {@link SagaTester} run: its puts in order (after middleware), the effects it
 * performed (with their ids), its return value or exception, and the virtual time that elapsed.
 */
public final class SagaTestResult {
  private final List<Action<?>> puts;
  private final List<String> effects;
  private final Object value;
  private final Throwable failure;
  private final Duration virtualTime;

  SagaTestResult(List<Action<?>> puts, List<String> effects, Object value, Throwable failure, Duration virtualTime) {
    this.puts = List.copyOf(puts);
    this.effects = List.copyOf(effects);
    this.value = value;
    this.failure = failure;
    this.virtualTime = virtualTime;
  }

  /** The actions the saga put, in order, as written (payloads are the objects the saga passed). */
  public List<Action<?>> puts() {
    return puts;
  }

  /** The topics of {@link #puts()}, in order. */
  public List<String> putTopics() {
    return puts.stream().map(Action::topic).toList();
  }

  /** The payloads put to {@code topic}, in order. */
  public List<Object> payloadsPutTo(String topic) {
    return puts.stream().filter(a -> a.topic().equals(topic)).<Object>map(Action::payload).toList();
  }

  /** Every effect performed, as {@code "<effect id> <description>"}, in the order they started. */
  public List<String> effects() {
    return effects;
  }

  /**
   * The compensation steps that ran, as in {@link #effects()}: the effects whose id has a
   * {@code compensate/<n>/} part ({@code "compensate/1/2 put(ORDER_CANCELLED)"}), including the
   * effects inside lambda steps, in the order they started.
   */
  public List<String> compensationEffects() {
    return effects.stream().filter(e -> e.startsWith("compensate/") || e.split(" ", 2)[0].contains("/compensate/"))
        .toList();
  }

  /** The saga's return value (null for a void saga or on failure). */
  public Object value() {
    return value;
  }

  /** The exception the saga ended with, or null. */
  public Throwable failure() {
    return failure;
  }

  /** Whether the saga ended without an exception. */
  public boolean succeeded() {
    return failure == null;
  }

  /** The virtual time that passed (the sum of the delays that elapsed). */
  public Duration virtualTime() {
    return virtualTime;
  }

  /**
   * Asserts the saga put exactly to {@code topics}, in this order.
   *
   * @throws AssertionError listing the actual puts otherwise
   */
  public SagaTestResult assertPutTopics(String... topics) {
    if (!putTopics().equals(Arrays.asList(topics))) {
      throw new AssertionError("expected puts to " + Arrays.asList(topics) + " but the saga put to "
          + putTopics() + (failure == null ? "" : " and failed with " + failure));
    }
    return this;
  }

  /**
   * Asserts the saga ended without an exception.
   *
   * @throws AssertionError with the exception as cause otherwise
   */
  public SagaTestResult assertSucceeded() {
    if (failure != null) {
      throw new AssertionError("the saga failed with " + failure, failure);
    }
    return this;
  }

  /**
   * Asserts the saga failed with a {@code type} and returns it.
   *
   * @throws AssertionError otherwise
   */
  public <T extends Throwable> T assertFailed(Class<T> type) {
    if (!type.isInstance(failure)) {
      throw new AssertionError("expected the saga to fail with " + type.getName() + " but it "
          + (failure == null ? "succeeded" : "failed with " + failure), failure);
    }
    return type.cast(failure);
  }

  @Override
  public String toString() {
    return "SagaTestResult[puts=" + putTopics() + ", failure=" + failure + ", value=" + value + "]";
  }
}
