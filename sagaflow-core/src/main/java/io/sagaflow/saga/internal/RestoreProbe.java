package io.sagaflow.saga.internal;

import io.sagaflow.saga.All;
import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.Take;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a run a restore found in the journal sits in a wait at its journal's end, decided by
 * running its code against its journal: a <em>probe</em> ({@link JournalRecorder#probe}).
 *
 * <p>Design. A probe replays the effects its journal holds as returned (or failed), and performs
 * none: it stops at the first effect that is not so journaled, by throwing {@link Stop} (a
 * {@link SagaCancelledException}, so the engine runs no compensation for it). It <b>waits</b> when
 * that effect is journaled as pending and is a take, a delay with its deadline, or an {@code all}
 * or {@code race} whose branches are all such waits (an all's may also have returned); the effect
 * objects say what the branches are, since a race's takes are not journaled. The topics of those
 * takes are kept ({@link #topics}) for the registration that wakes the evicted run. A run that
 * stops anywhere else (an effect never journaled, a call, a branch that may be running a put, a new
 * version marker, an effect other than the journal's) or ends without stopping goes on
 * <b>live</b>, and a restore resumes it as it resumed every run before: a divergence is then
 * reported by that resume, with its dead letter. The first decision holds: saga code that catches
 * the stop meets another one at its next effect.
 *
 * <p>So a restore leaves evicted only runs whose code, replayed, reaches a journaled wait; their
 * determinism up to that wait is checked at the restore, as before, and after it at the wake.
 */
final class RestoreProbe {
  /** Where the probe stopped, thrown from the effect it stopped at. */
  static final class Stop extends SagaCancelledException {
    private static final long serialVersionUID = 1L;

    Stop(String message) {
      super(message);
    }
  }

  private final SagaJournal journal;
  private volatile Boolean waits;
  private final Set<String> topics = ConcurrentHashMap.newKeySet();

  RestoreProbe(SagaJournal journal) {
    this.journal = journal;
  }

  SagaJournal journal() {
    return journal;
  }

  /** Decides (unless decided) and returns the exception that stops the probe at effect {@code id}. */
  synchronized Stop stop(boolean waitsHere, String id) {
    if (waits == null) {
      waits = waitsHere;
    }
    return new Stop("restore probe of " + journal.transactionId() + " stopped at effect " + id);
  }

  /**
   * Decides (unless decided) at {@code effect}, journaled as pending under {@code id}, and returns
   * the exception that stops the probe there: the run waits when the effect is one that only a
   * reply or a journaled deadline ends ({@link #waits}).
   */
  Stop stopAtPending(Effect<?> effect, String id) {
    return stop(waits(effect, id), id);
  }

  /**
   * Whether {@code effect}, whose entry {@code id} is pending (or, in a race, absent), is a wait
   * that only a reply or a journaled deadline ends: a take (its topics are kept), a delay journaled
   * with its deadline, or an all or race whose every branch is such a wait (an all's branches may
   * also have returned). A branch that may be running a put or a call is not.
   */
  private boolean waits(Effect<?> effect, String id) {
    return switch (effect) {
      case Take<?> t -> {
        topics.addAll(t.channel() != null ? t.channel().topics() : t.pattern().topics());
        yield true;
      }
      case Delay<?> d -> {
        JournalEntry e = journal.entry(id);
        yield e != null && e.status() == JournalEntry.Status.PENDING && e.deadline() != null;
      }
      case All a -> a.effects().entrySet().stream()
          .allMatch(b -> branchWaits(b.getValue(), EffectIds.branches(id, false) + b.getKey(), true));
      case Race r -> r.effects().entrySet().stream()
          .allMatch(b -> branchWaits(b.getValue(), EffectIds.branches(id, true) + b.getKey(), false));
      default -> false;
    };
  }

  private boolean branchWaits(Effect<?> effect, String id, boolean mayHaveReturned) {
    JournalEntry e = journal.entry(id);
    if (e != null && e.status() != JournalEntry.Status.PENDING) {
      return mayHaveReturned && e.status() == JournalEntry.Status.RETURNED;
    }
    return waits(effect, id);
  }

  /** The topics of the takes the run waits in (once it {@link #waits}). */
  Set<String> topics() {
    return Set.copyOf(topics);
  }

  /** Whether the probe stopped already. */
  boolean decided() {
    return waits != null;
  }

  /** Whether the run waits at its journal's end: the probe stopped at a journaled wait. */
  boolean waits() {
    return Boolean.TRUE.equals(waits);
  }
}
