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
 * <p>Durable saga consumers ({@link SagaConsumerOptions#durable()}) report runs and effects here
 * too, and their own gauges and journal measurements ({@link #durableOpened}, {@link
 * #journalRestored}, {@link #journalTransaction}).
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

  /**
   * A run on an action of {@code topic} started (for a durable saga consumer: a new run; a run
   * rebuilt from its journal is {@link #sagaResumed}).
   */
  default void sagaStarted(String topic) {}

  /**
   * A run on an action of {@code topic} ended after {@code nanos}: normally when {@code error} is
   * null, else with that error (a timeout is a {@link java.util.concurrent.TimeoutException}). A
   * durable run's {@code nanos} count from its journaled start, across crashes and restarts.
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

  /**
   * A durable run on an action of {@code topic} was rebuilt from its journal and runs again (after
   * a crash, a rebalance or a failed journal transaction), replaying its journaled effects. It was
   * counted by {@link #sagaStarted} when it first started and is not counted there again; it ends
   * with {@link #sagaEnded} as a new run does.
   */
  default void sagaResumed(String topic) {}

  /**
   * A run on an action of {@code topic} ended (completed or failed) after running at least one
   * compensation step. Called by durable saga consumers, after {@link #sagaEnded}, which see it in
   * the run's journal.
   */
  default void sagaCompensated(String topic) {}

  /**
   * The durable saga consumer of group {@code group} on {@code topic} starts; the suppliers sample,
   * from any thread, its runs resident in memory and its runs that wait: resident ones whose journal
   * holds a pending take, delay, race or all (as {@code sagaflow sagas list --status waiting} says),
   * and evicted ones. Called once per consumer.
   */
  default void durableOpened(String topic, String group, LongSupplier resident, LongSupplier waiting) {}

  /** That durable saga consumer closed: remove what {@link #durableOpened} registered for it. */
  default void durableClosed(String topic, String group) {}

  /**
   * The durable saga consumer of group {@code group} on {@code topic} rebuilt the runs of an
   * assigned input partition from its journal partition in {@code nanos}: read the journal up to its last stable offset and
   * started {@code sagas} runs again (their code replays their journaled effects on their own
   * threads afterwards, while new input is processed).
   */
  default void journalRestored(String topic, String group, int partition, long nanos, int sagas) {}

  /**
   * A journal transaction of the durable saga consumer of group {@code group} on {@code topic} (journal entries, puts,
   * tombstones, dead letters and input offsets of many runs) took {@code nanos} and wrote {@code
   * records} records; it committed unless {@code failed} (then its runs are rebuilt from the
   * journal). A put becomes visible to {@code read_committed} readers when its transaction commits.
   */
  default void journalTransaction(String topic, String group, long nanos, int records, boolean failed) {}

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
