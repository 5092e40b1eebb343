package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.RecordedFailure;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Which journaled deadline wakes an evicted run, and which journals a restore may leave evicted
 * (a run certainly blocked in a wait): pure logic, no broker.
 */
class EvictionsTest {
  private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");

  private static SagaJournal journal() {
    return SagaJournal.start("orders-0@7", "orders", null, Action.of("orders", "tx-1", null), T0);
  }

  private static JournalEntry delay(String id, long deadlineSeconds) {
    return JournalEntry.pending(id, EffectKind.DELAY, null, T0, T0.plusSeconds(deadlineSeconds));
  }

  @Test
  void aRunWithoutPendingDelaysHasNoDeadline() {
    SagaJournal j = journal().withEntry(JournalEntry.pending("1", EffectKind.TAKE, "replies", T0, null));
    assertThat(Evictions.deadline(j)).isNull();
  }

  @Test
  void thePendingDelayOfARunningRaceWakesTheRun() {
    SagaJournal j = journal()
        .withEntry(JournalEntry.pending("1", EffectKind.RACE, "reply,timeout", T0, null))
        .withEntry(delay("1/race/timeout", 30));
    assertThat(Evictions.deadline(j)).isEqualTo(T0.plusSeconds(30));
  }

  @Test
  void aDelayLeftPendingInARaceThatEndedIsNotADeadlineButALaterOneIs() {
    SagaJournal j = journal()
        .withEntry(JournalEntry.pending("1", EffectKind.RACE, "reply,timeout", T0, null).returned(null, null, 5))
        .withEntry(delay("1/race/timeout", 10)) // the losing branch: never ends
        .withEntry(delay("2", 60));
    assertThat(Evictions.deadline(j)).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void theEarliestOfTheBranchesDeadlinesWins() {
    SagaJournal j = journal()
        .withEntry(JournalEntry.pending("1", EffectKind.ALL, "a,b", T0, null))
        .withEntry(delay("1/all/a", 40))
        .withEntry(delay("1/all/b/1", 20));
    assertThat(Evictions.deadline(j)).isEqualTo(T0.plusSeconds(20));
  }

  private static JournalEntry take(String id) {
    return JournalEntry.pending(id, EffectKind.TAKE, "replies", T0, null);
  }

  private static JournalEntry put(String id) {
    return JournalEntry.pending(id, EffectKind.PUT, "requests", T0, null).returned(null, null, 1);
  }

  @Test
  void aRunInAPendingTakeOrDelayWaitsAtItsJournalsEnd() {
    assertThat(Evictions.waitsAtEnd(journal().withEntry(put("1")).withEntry(take("2")))).isTrue();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(put("1")).withEntry(delay("2", 60)))).isTrue();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(take("1/1"))))
        .as("a take inside a call (the call is journaled when it ends)").isTrue();
  }

  @Test
  void aRunWhoseLastEffectReturnedGoesOnLiveAndDoesNotWait() {
    assertThat(Evictions.waitsAtEnd(journal())).as("nothing journaled yet").isFalse();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(put("1")))).isFalse();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(put("1")).withEntry(take("2").returned(null, null, 3))))
        .as("its take returned: it goes on to its next effect").isFalse();
  }

  @Test
  void anAllWaitsOnlyWhenEveryBranchReturnedOrWaits() {
    JournalEntry all = JournalEntry.pending("1", EffectKind.ALL, "a,b", T0, null);
    assertThat(Evictions.waitsAtEnd(journal().withEntry(all).withEntry(take("1/all/a"))
        .withEntry(put("1/all/b")))).isTrue();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(all).withEntry(take("1/all/a"))))
        .as("branch b has no entry: it may be running a put or a call").isFalse();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(all).withEntry(take("1/all/a"))
        .withEntry(take("1/all/b").failed(RecordedFailure.of(new IllegalStateException("no")), 1))))
        .as("a failed branch fails the all: the run goes on live").isFalse();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(all.returned(null, null, 5)).withEntry(take("1/all/a"))
        .withEntry(put("2")))).as("a take left pending in an all that ended is no wait").isFalse();
  }

  @Test
  void aRaceOrACompensationIsNeverLeftEvicted() {
    assertThat(Evictions.waitsAtEnd(journal()
        .withEntry(JournalEntry.pending("1", EffectKind.RACE, "reply,timeout", T0, null))
        .withEntry(delay("1/race/timeout", 30)))).as("the race's take is not journaled").isFalse();
    assertThat(Evictions.waitsAtEnd(journal().withEntry(put("1")).withEntry(put("compensate/1/1"))
        .withEntry(take("compensate/1/2")))).isFalse();
  }
}
