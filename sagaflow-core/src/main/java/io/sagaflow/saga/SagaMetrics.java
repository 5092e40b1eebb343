package io.sagaflow.saga;

import java.util.function.LongSupplier;

/**
 * Where a saga runtime's measurements go. Pass one to {@link SagaOptions#withMetrics}; the default,
 * {@link #none()}, measures nothing. {@link MicrometerSagaMetrics} publishes to a Micrometer {@code
 * MeterRegistry} (Micrometer is optional: only that class refers to it). Calls come from saga
 * threads, the reply consumer's thread and producer I/O threads; they must return quickly.
 *
 * <pre>{@code
 * SagaRuntime runtime = Sagas.runtime(options.withMetrics(MicrometerSagaMetrics.of(registry)));
 * }</pre>
 *
 * <p>Every method has a no-op default, so a back end implements only what it records.
 */
public interface SagaMetrics {

  /** Metrics that measure nothing. */
  static SagaMetrics none() {
    return NoSagaMetrics.INSTANCE;
  }

  /**
   * The runtime starts; {@code running} samples the number of runs in progress at any time, from any
   * thread. Called once per runtime.
   */
  default void open(LongSupplier running) {}

  /** A run on an action of {@code topic} started. */
  default void sagaStarted(String topic) {}

  /**
   * A run on an action of {@code topic} ended after {@code nanos}: normally when {@code error} is
   * null, else with that error (a timeout is a {@link java.util.concurrent.TimeoutException}).
   */
  default void sagaEnded(String topic, long nanos, Throwable error) {}

  /** A saga consumer of {@code topic} wrote a failed action to its dead-letter topic. */
  default void sagaDeadLettered(String topic) {}

  /**
   * An effect of a run on {@code topic} took {@code nanos} (through the middleware), ending
   * normally unless {@code failed}.
   *
   * @param kind put, take, actionChannel, call, all, race, delay, now or uuid
   */
  default void effect(String topic, String kind, long nanos, boolean failed) {}

  /** A put to {@code topic} was acknowledged (or failed) {@code nanos} after it was sent. */
  default void put(String topic, long nanos, boolean failed) {}

  /**
   * A reply (an action on {@code topic} that a run waits for) was handed over to the run's take or
   * channel {@code lagMillis} after the record's timestamp.
   */
  default void replyRouted(String topic, long lagMillis) {}

  /** The runtime closed: remove what {@link #open} registered. */
  default void close() {}
}

/** The default: nothing is measured. */
enum NoSagaMetrics implements SagaMetrics {
  INSTANCE;

  @Override
  public String toString() {
    return "SagaMetrics.none()";
  }
}
