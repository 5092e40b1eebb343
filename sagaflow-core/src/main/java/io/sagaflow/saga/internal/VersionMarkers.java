package io.sagaflow.saga.internal;

import com.fasterxml.jackson.databind.node.IntNode;
import io.sagaflow.saga.SagaContext;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.NonDeterminismException;
import io.sagaflow.saga.internal.journal.UnsupportedVersionException;
import java.time.Instant;
import java.util.Set;

/**
 * Version markers ({@link SagaContext#version}) in a durable run's journal.
 *
 * <p>Design. A marker must not move any effect: journaled effect ids are numbered per logical
 * thread ({@link EffectIds}), and code that gains a marker must still meet, on replay, the ids an
 * old journal holds. So a marker takes no number: it is an entry of kind {@code version} under
 * the id {@code "version/<change id>"}, one per run (as Temporal keeps one per workflow and change
 * id), whose result is the version. It is journaled like any entry, in the transaction of the
 * run's next effects, and {@code sagaflow sagas show} and the inspector list it as a
 * {@code version} entry whose result is the version.
 *
 * <p>A marker with no entry is either met by a run for the first time (new code, live: it gets
 * {@code maxSupported}) or by a run rebuilt from a journal that code without the marker wrote,
 * which went on past this point (it gets {@link SagaContext#DEFAULT_VERSION}, so that the old
 * branch meets the journaled effects). The two differ in what the rebuilt journal held when the
 * run was resumed (its <em>replay source</em>, frozen then): whether it records the effect that
 * follows this point, in this thread or in one of the threads it was started from
 * ({@link SagaContextImpl#journaledPastThisPoint}). A journal that stops before this point gets
 * {@code maxSupported}: nothing journaled depends on the old branch. A new run's source is empty.
 * The outcome is journaled as well, so a later replay reads it back instead of deciding again
 * (concurrent branches may have journaled more by then).
 *
 * <p>A version outside the code's supported range fails the run with
 * {@link UnsupportedVersionException}, before anything is journaled.
 */
final class VersionMarkers {
  private VersionMarkers() {}

  /** What a marker needs of a registered run ({@code JournalRecorder}'s). */
  interface Journal {
    String sagaName();

    String transactionId();

    String runKey();

    /** The entry under {@code id}, journaled before or in this incarnation, or null. */
    JournalEntry get(String id);

    /** The ids the journal held when the run was resumed; empty for a new run. */
    Set<String> replaySource();

    /** Journals {@code entry}. */
    void put(JournalEntry entry);
  }

  /** The version the run of {@code journal} follows at {@code changeId} (validated arguments). */
  static int version(Journal journal, String changeId, int min, int max, SagaContextImpl ctx, Instant now) {
    String id = EffectIds.version(changeId);
    synchronized (journal) {
      JournalEntry entry = journal.get(id);
      if (entry != null) {
        if (entry.kind() != EffectKind.VERSION || entry.result() == null || !entry.result().canConvertToInt()) {
          throw new NonDeterminismException(journal.sagaName(), journal.transactionId(), journal.runKey(), id,
              entry.describe(), JournalEntry.describe(EffectKind.VERSION, changeId));
        }
        return supported(journal, changeId, entry.result().intValue(), min, max, true);
      }
      int version = ctx.journaledPastThisPoint(journal.replaySource()) ? SagaContext.DEFAULT_VERSION : max;
      supported(journal, changeId, version, min, max, false);
      journal.put(new JournalEntry(id, EffectKind.VERSION, changeId, JournalEntry.Status.RETURNED,
          Integer.class.getName(), IntNode.valueOf(version), null, now, 0, null));
      return version;
    }
  }

  private static int supported(Journal journal, String changeId, int version, int min, int max, boolean journaled) {
    if (version < min || version > max) {
      throw new UnsupportedVersionException(journal.sagaName(), journal.transactionId(), journal.runKey(), changeId,
          version, min, max, journaled);
    }
    return version;
  }
}
