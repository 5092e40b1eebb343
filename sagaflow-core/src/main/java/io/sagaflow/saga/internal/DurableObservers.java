package io.sagaflow.saga.internal;

import io.sagaflow.saga.SagaMetrics;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * The run-level metrics of one durable saga consumer, called from its loop thread (the effect
 * level is the engine's, with the same {@link Observers}).
 *
 * <p>Design. What a durable run is differs from a plain one in three ways, and the counts follow:
 *
 * <ul>
 *   <li>A run outlives its process. A new run counts as {@code started}; a run rebuilt from its
 *       journal (a crash, a rebalance, a failed journal transaction) counts as {@code resumed},
 *       never as {@code started} again, so {@code started} minus the ended runs is the number of
 *       runs still to end, across restarts.
 *   <li>Its duration is measured from its journaled start, not from this process's launch, so a
 *       resumed run reports the whole time it took, waits and downtime included.
 *   <li>Whether it compensated and whether it waits are read from its journal (compensation
 *       entries; a pending take, delay, race or all), the definitions {@code sagaflow sagas list}
 *       uses, so the gauges agree with what the CLI shows.
 * </ul>
 *
 * A run dropped without ending (revocation, a crash-like halt) reports nothing: its next owner
 * resumes it.
 */
final class DurableObservers {
  private final SagaMetrics metrics;
  private final String topic;
  private final String group;
  private final Timer timer;
  private boolean opened;

  DurableObservers(Observers observers, String topic, String group, Timer timer) {
    this.metrics = Objects.requireNonNull(observers, "observers").metrics();
    this.topic = Objects.requireNonNull(topic, "topic");
    this.group = Objects.requireNonNull(group, "group");
    this.timer = Objects.requireNonNull(timer, "timer");
  }

  /**
   * Registers the consumer's gauges: resident runs, and waiting runs: the resident runs the writer
   * holds as waiting plus the evicted ones (an evicted run waits, or it would not be evicted).
   */
  void open(IntSupplier resident, IntSupplier evicted, JournalWriter writer) {
    metrics.durableOpened(topic, group, resident::getAsInt,
        () -> writer.count(DurableObservers::waiting) + (long) evicted.getAsInt());
    opened = true;
  }

  /** Whether the run of {@code transactionId}, registered with {@code writer}, was rebuilt from its journal. */
  static boolean resumed(JournalWriter writer, String transactionId) {
    JournalWriter.ReplyState state = writer.replyState(transactionId);
    return state != null && state.restored();
  }

  /** A run was launched: a new one, or one rebuilt from its journal. */
  void launched(boolean resumed) {
    if (resumed) {
      metrics.sagaResumed(topic);
    } else {
      metrics.sagaStarted(topic);
    }
  }

  /**
   * A run ended; {@code journal} is its journal just before its tombstone was queued (null when the
   * writer no longer holds it), {@code failure} what it threw or null.
   */
  void ended(SagaJournal journal, Throwable failure) {
    long nanos = journal == null ? 0
        : Math.max(0, Duration.between(journal.startedAt(), timer.now()).toNanos());
    metrics.sagaEnded(topic, nanos, failure);
    if (journal != null && compensated(journal)) {
      metrics.sagaCompensated(topic);
    }
  }

  /** A record or a run went to the dead-letter topic. */
  void deadLettered() {
    metrics.sagaDeadLettered(topic);
  }

  /** The runs of {@code partition} were rebuilt from the journal in {@code nanos}. */
  void restored(int partition, long nanos, int sagas) {
    metrics.journalRestored(topic, group, partition, nanos, sagas);
  }

  /** A journal transaction's outcome was taken. */
  void transaction(JournalCommitter.Outcome outcome) {
    int records = outcome.batch() == null ? 0 : outcome.batch().records().size();
    metrics.journalTransaction(topic, group, outcome.nanos(), records, outcome.error() != null);
  }

  /** Removes the gauges. */
  void close() {
    if (opened) {
      opened = false;
      metrics.durableClosed(topic, group);
    }
  }

  /** Whether the run journaled a compensation step (its own, or a race loser's). */
  static boolean compensated(SagaJournal journal) {
    for (JournalEntry e : journal.entries()) {
      if (isCompensation(e)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a resident run waits: its journal holds a pending take, delay, race or all and no
   * compensation entry (a compensating run counts as compensating, as the CLI lists it).
   */
  static boolean waiting(SagaJournal journal) {
    boolean waiting = false;
    for (JournalEntry e : journal.entries()) {
      if (isCompensation(e)) {
        return false;
      }
      waiting |= e.status() == JournalEntry.Status.PENDING && waits(e.kind());
    }
    return waiting;
  }

  private static boolean waits(EffectKind kind) {
    return kind == EffectKind.TAKE || kind == EffectKind.DELAY || kind == EffectKind.RACE || kind == EffectKind.ALL;
  }

  private static boolean isCompensation(JournalEntry e) {
    return e.id().startsWith("compensate/") || e.id().contains("/compensate/");
  }
}
