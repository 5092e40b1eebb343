package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaContext;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.InMemoryJournalSink;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.JournalLimits;
import io.sagaflow.saga.internal.journal.SagaJournal;
import io.sagaflow.saga.internal.journal.UnsupportedVersionException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Version markers with no broker: a run of one version of the saga's code journals into an
 * in-memory sink and "crashes" while it waits; a new engine and recorder resume it from the
 * journal alone with changed code, as a deploy does.
 */
class VersionMarkerTest {
  private static final ActionCodec CODEC = ActionCodec.create();
  private static final String RUN = "orders-0@7";
  private final ManualTimer timer = new ManualTimer();
  private final InMemoryJournalSink sink = new InMemoryJournalSink();

  /** One process: an engine journaling through its own recorder, publishing to its own bus. */
  private final class Process {
    final LoopbackBus bus = new LoopbackBus();
    final JournalRecorder recorder = new JournalRecorder(sink, CODEC, JournalLimits.DEFAULT);
    final SagaEngine engine = new SagaEngine(List.of(), bus, bus, timer, recorder, CODEC, 16, Activity.NONE);

    SagaEngine.SagaRun begin(String tx, long offset, ReturningSaga<JsonNode, Object> saga) {
      InputPosition input = new InputPosition("orders", 0, offset);
      Action<JsonNode> action = Action.of("orders", tx, null);
      recorder.begin(input.runKey(), "order", input, action, timer.now());
      return engine.startReturning(saga, action, null, null);
    }

    SagaEngine.SagaRun resume(String runKey, ReturningSaga<JsonNode, Object> saga) {
      SagaJournal journal = sink.journal(runKey).orElseThrow();
      recorder.resume(journal);
      return engine.startReturning(saga, journal.action(), null, null);
    }

    /** Waits until the run of {@code tx} waits on {@code topic}, then "crashes" it. */
    void crashWhileWaiting(SagaEngine.SagaRun run, String tx, String topic) {
      await().atMost(Duration.ofSeconds(30)).until(() -> bus.hasSubscriber(tx, topic));
      run.cancel();
      // A run crashed while compensating ends with its own failure, the cancellation suppressed.
      assertThatThrownBy(() -> result(run)).satisfiesAnyOf(
          e -> assertThat(e).isInstanceOf(SagaCancelledException.class),
          e -> assertThat(e.getSuppressed()).hasAtLeastOneElementOfType(SagaCancelledException.class));
      recorder.forget(tx);
    }

    /** Delivers an action on {@code topic} once the run of {@code tx} waits for it. */
    void deliver(String tx, String topic) {
      await().atMost(Duration.ofSeconds(30)).until(() -> bus.hasSubscriber(tx, topic));
      bus.deliver(Action.of(topic, tx, "go"));
    }

    List<String> publishedTopics() {
      return bus.published().stream().map(Action::topic).toList();
    }
  }

  private static Object result(SagaEngine.SagaRun run) throws Exception {
    try {
      return run.done().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private SagaJournal journal() {
    return sink.journal(RUN).orElseThrow();
  }

  /** The old code: no marker. */
  private static ReturningSaga<JsonNode, Object> oldCode(AtomicInteger charges) {
    return (a, ctx) -> {
      ctx.put("RESERVE", 1);                              // 1
      ctx.call("charge", charges::incrementAndGet);       // 2
      ctx.take("WAIT");                                   // 3
      ctx.put("SHIP", 1);                                 // 4
      return "old";
    };
  }

  /** The new code: a fraud check between the reservation and the charge, behind a marker. */
  private static ReturningSaga<JsonNode, Object> newCode(AtomicInteger charges, AtomicInteger checks, int min) {
    return (a, ctx) -> {
      ctx.put("RESERVE", 1);
      int v = ctx.version("fraud-check", min, 1);
      if (v >= 1) {
        ctx.call("fraud", checks::incrementAndGet);
      }
      ctx.call("charge", charges::incrementAndGet);
      ctx.take("WAIT");
      ctx.put("SHIP", 1);
      return "v" + v;
    };
  }

  @Test
  void aNewRunJournalsTheMaximumUnderTheChangeIdAndAReplayReadsItBack() throws Exception {
    AtomicInteger charges = new AtomicInteger();
    AtomicInteger checks = new AtomicInteger();
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 7, newCode(charges, checks, SagaContext.DEFAULT_VERSION));
    first.crashWhileWaiting(run, "tx-1", "WAIT");
    assertThat(checks).as("a new run follows the newest version").hasValue(1);
    assertThat(journal().entries()).extracting(JournalEntry::id)
        .as("the marker takes no effect number").containsExactly("1", "version/fraud-check", "2", "3", "4");
    JournalEntry marker = journal().entry("version/fraud-check");
    assertThat(marker.kind()).isEqualTo(EffectKind.VERSION);
    assertThat(marker.describe()).isEqualTo("version(fraud-check)");
    assertThat(first.recorder.codec().decodeResult(marker)).isEqualTo(1);

    // The next deploy supports up to version 2: the run keeps the version it journaled.
    ReturningSaga<JsonNode, Object> newer = (a, ctx) -> {
      ctx.put("RESERVE", 1);
      int v = ctx.version("fraud-check", SagaContext.DEFAULT_VERSION, 2);
      ctx.call(v >= 2 ? "fraud2" : "fraud", checks::incrementAndGet);
      ctx.call("charge", charges::incrementAndGet);
      ctx.take("WAIT");
      ctx.put("SHIP", 1);
      return "v" + v;
    };
    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume(RUN, newer);
    second.deliver("tx-1", "WAIT");
    assertThat(result(resumed)).isEqualTo("v1");
    assertThat(checks).as("the journaled fraud check is not performed again").hasValue(1);
    assertThat(charges).hasValue(1);
    assertThat(second.publishedTopics()).containsExactly("SHIP");
  }

  @Test
  void anOldJournalWithoutTheMarkerGetsTheDefaultVersionAndItsLaterEffectsStillMatch() throws Exception {
    AtomicInteger charges = new AtomicInteger();
    AtomicInteger checks = new AtomicInteger();
    Process first = new Process();
    first.crashWhileWaiting(first.begin("tx-1", 7, oldCode(charges)), "tx-1", "WAIT");
    assertThat(journal().entries()).extracting(JournalEntry::id).containsExactly("1", "2", "3");

    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume(RUN, newCode(charges, checks, SagaContext.DEFAULT_VERSION));
    await().atMost(Duration.ofSeconds(30)).until(() -> second.bus.hasSubscriber("tx-1", "WAIT"));
    assertThat(first.recorder.codec().decodeResult(journal().entry("version/fraud-check")))
        .as("the default version is journaled too").isEqualTo(SagaContext.DEFAULT_VERSION);
    second.deliver("tx-1", "WAIT");
    assertThat(result(resumed)).as("no non-determinism: the old branch met the journaled effects").isEqualTo("v-1");
    assertThat(checks).as("the old branch has no fraud check").hasValue(0);
    assertThat(charges).as("the journaled charge is not called again").hasValue(1);
    assertThat(second.publishedTopics()).containsExactly("SHIP");
    assertThat(journal().entry("4").describe()).isEqualTo("put(SHIP)");

    // A new run of the new code, beside it, takes the new branch.
    SagaEngine.SagaRun fresh = second.begin("tx-2", 8, newCode(charges, checks, SagaContext.DEFAULT_VERSION));
    second.deliver("tx-2", "WAIT");
    assertThat(result(fresh)).isEqualTo("v1");
    assertThat(checks).hasValue(1);
  }

  @Test
  void anOldJournalThatStopsBeforeTheMarkerGetsTheNewestVersion() throws Exception {
    AtomicInteger shipped = new AtomicInteger();
    ReturningSaga<JsonNode, Object> old = (a, ctx) -> {
      ctx.put("RESERVE", 1);
      ctx.take("WAIT");
      ctx.put("SHIP", 1);
      return "old";
    };
    Process first = new Process();
    first.crashWhileWaiting(first.begin("tx-1", 7, old), "tx-1", "WAIT");

    ReturningSaga<JsonNode, Object> changed = (a, ctx) -> {
      ctx.put("RESERVE", 1);
      ctx.take("WAIT");
      int v = ctx.version("ship-by-call", SagaContext.DEFAULT_VERSION, 1);
      if (v >= 1) {
        ctx.call("ship", shipped::incrementAndGet);
      } else {
        ctx.put("SHIP", 1);
      }
      return "v" + v;
    };
    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume(RUN, changed);
    second.deliver("tx-1", "WAIT");
    assertThat(result(resumed)).as("nothing journaled depends on the old branch").isEqualTo("v1");
    assertThat(shipped).hasValue(1);
    assertThat(second.publishedTopics()).isEmpty();
  }

  @Test
  void aMarkerInACalledSagaCountsTheCalledSagasOwnJournaledEffects() throws Exception {
    ReturningSaga<JsonNode, Object> oldStep = (a, ctx) -> {
      ctx.put("STEP", 1);                                  // 1/1
      ctx.take("WAIT");                                    // 1/2
      return "step";
    };
    ReturningSaga<JsonNode, Object> old = (a, ctx) -> ctx.perform(Effects.callSaga("step", oldStep, null)); // 1
    Process first = new Process();
    first.crashWhileWaiting(first.begin("tx-1", 7, old), "tx-1", "WAIT");
    assertThat(journal().entries()).extracting(JournalEntry::id).containsExactly("1/1", "1/2");

    ReturningSaga<JsonNode, Object> newStep = (a, ctx) -> {
      ctx.put("STEP", 1);
      int v = ctx.version("extra-step", SagaContext.DEFAULT_VERSION, 1);
      if (v >= 1) {
        ctx.put("EXTRA", 1);
      }
      ctx.take("WAIT");
      return "step" + v;
    };
    ReturningSaga<JsonNode, Object> changed = (a, ctx) -> ctx.perform(Effects.callSaga("step", newStep, null));
    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume(RUN, changed);
    second.deliver("tx-1", "WAIT");
    assertThat(result(resumed)).isEqualTo("step-1");
    assertThat(second.publishedTopics()).as("the extra put of the new branch was not made").isEmpty();

    // A run that reaches the called saga's marker for the first time takes the new branch.
    SagaEngine.SagaRun fresh = second.begin("tx-2", 8, changed);
    second.deliver("tx-2", "WAIT");
    assertThat(result(fresh)).isEqualTo("step1");
    assertThat(second.publishedTopics()).containsExactly("STEP", "EXTRA");
  }

  @Test
  void aMarkerInACompensationStepInProgressGetsTheNewestVersionWhenNothingFollowsIt() throws Exception {
    ReturningSaga<JsonNode, Object> old = (a, ctx) -> {
      ctx.addCompensation(c -> {
        c.take("ACK");                                     // compensate/1/1/1
      });
      ctx.addCompensation(Effects.put("UNDO_B", 1));       // compensate/1/2, runs first
      ctx.put("A", 1);                                     // 1
      throw new IllegalStateException("boom");
    };
    Process first = new Process();
    first.crashWhileWaiting(first.begin("tx-1", 7, old), "tx-1", "ACK");
    assertThat(journal().entries()).extracting(JournalEntry::id)
        .containsExactly("1", "compensate/1/2", "compensate/1/1/1");

    ReturningSaga<JsonNode, Object> changed = (a, ctx) -> {
      ctx.addCompensation(c -> {
        c.take("ACK");
        int v = c.version("undo-a", SagaContext.DEFAULT_VERSION, 1);
        c.put(v >= 1 ? "UNDO_A2" : "UNDO_A1", v);
      });
      ctx.addCompensation(Effects.put("UNDO_B", 1));
      ctx.put("A", 1);
      throw new IllegalStateException("boom");
    };
    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume(RUN, changed);
    second.deliver("tx-1", "ACK");
    assertThatThrownBy(() -> result(resumed)).isInstanceOf(IllegalStateException.class).hasMessage("boom");
    assertThat(second.publishedTopics()).as("the steps journaled before it are not repeated")
        .containsExactly("UNDO_A2");
  }

  @Test
  void aVersionOutsideTheSupportedRangeFailsTheRunNamingTheChangeAndBothVersions() throws Exception {
    AtomicInteger charges = new AtomicInteger();
    AtomicInteger checks = new AtomicInteger();
    Process first = new Process();
    first.crashWhileWaiting(first.begin("tx-1", 7, oldCode(charges)), "tx-1", "WAIT");
    first.crashWhileWaiting(first.begin("tx-2", 8, newCode(charges, checks, SagaContext.DEFAULT_VERSION)),
        "tx-2", "WAIT");

    // The old branch is removed: minSupported 1.
    Process second = new Process();
    SagaEngine.SagaRun unmarked = second.resume(RUN, newCode(charges, checks, 1));
    assertThatThrownBy(() -> result(unmarked)).isInstanceOf(UnsupportedVersionException.class)
        .hasMessageContaining("saga order (transaction tx-1, run orders-0@7) follows version -1 (DEFAULT_VERSION)"
            + " of change fraud-check, since its journal was written by code without this marker")
        .hasMessageContaining("the code supports versions 1 to 1");
    assertThat(journal().entry("version/fraud-check")).as("the failure journals no marker").isNull();

    ReturningSaga<JsonNode, Object> v2Only = (a, ctx) -> {
      ctx.put("RESERVE", 1);
      return ctx.version("fraud-check", 2, 3);
    };
    SagaEngine.SagaRun marked = second.resume("orders-0@8", v2Only);
    assertThatThrownBy(() -> result(marked)).isInstanceOf(UnsupportedVersionException.class)
        .hasMessageContaining("transaction tx-2")
        .hasMessageContaining("follows version 1 of change fraud-check, as its journal records")
        .hasMessageContaining("the code supports versions 2 to 3")
        .satisfies(e -> assertThat(((UnsupportedVersionException) e).version()).isEqualTo(1));
    assertThat(second.publishedTopics()).isEmpty();
  }

  @Test
  void withoutAJournalTheMarkerReturnsTheMaximumAndBadArgumentsAreRefused() throws Exception {
    LoopbackBus bus = new LoopbackBus();
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, timer, EffectRecorder.PASS_THROUGH, CODEC, 16,
        Activity.NONE);
    Object v = engine.startReturning((a, ctx) -> ctx.version("c", SagaContext.DEFAULT_VERSION, 3),
        Action.of("T", "tx-9", null), null, null).done().get(30, TimeUnit.SECONDS);
    assertThat(v).isEqualTo(3);

    CompletableFuture<Object> reversed = engine.startReturning((a, ctx) -> ctx.version("c", 2, 1),
        Action.of("T", "tx-10", null), null, null).done();
    assertThatThrownBy(() -> reversed.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minSupported (2) <= maxSupported (1)");
    CompletableFuture<Object> blank = engine.startReturning((a, ctx) -> ctx.version(" ", 0, 1),
        Action.of("T", "tx-11", null), null, null).done();
    assertThatThrownBy(() -> blank.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a change id");
  }
}
