package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which journaled deadline wakes an evicted run: pure logic, no broker. */
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
}
