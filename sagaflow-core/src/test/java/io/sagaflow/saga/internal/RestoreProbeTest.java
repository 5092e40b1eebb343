package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Branch;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.internal.journal.InMemoryJournalSink;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalLimits;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A restore's probe with no broker: a run journals into an in-memory sink and "crashes"; a new
 * engine and recorder probe it from the journal alone. The probe's bus shows it published and
 * subscribed to nothing; its decision says whether the run waits at its journal's end.
 */
class RestoreProbeTest {
  private static final ActionCodec CODEC = ActionCodec.create();
  private static final InputPosition INPUT = new InputPosition("orders", 0, 7);
  private final ManualTimer timer = new ManualTimer();
  private final InMemoryJournalSink sink = new InMemoryJournalSink();

  /** One process: an engine journaling through its own recorder, publishing to its own bus. */
  private final class Process {
    final LoopbackBus bus = new LoopbackBus();
    /** Every subscription the engine asked for, closed or not. */
    final AtomicInteger subscriptions = new AtomicInteger();
    final JournalRecorder recorder = new JournalRecorder(sink, CODEC, JournalLimits.DEFAULT);
    final SagaEngine engine = new SagaEngine(List.of(), bus, (tx, topics, into) -> {
      subscriptions.incrementAndGet();
      return bus.subscribe(tx, topics, into);
    }, timer, recorder, CODEC, 16, Activity.NONE);

    SagaEngine.SagaRun begin(String tx, Saga<JsonNode> saga) {
      Action<JsonNode> action = Action.of("orders", tx, null);
      recorder.begin(INPUT.runKey(), "order", INPUT, action, timer.now());
      return engine.start(saga, action, null, null);
    }

    /** Probes the journal of {@code tx}'s run to its end; returns the probe. */
    RestoreProbe probe(Saga<JsonNode> saga) throws Exception {
      SagaJournal journal = sink.journal(INPUT.runKey()).orElseThrow();
      RestoreProbe probe = new RestoreProbe(journal);
      recorder.probe(probe);
      SagaEngine.SagaRun run = engine.probe(saga, journal.action(), null, null);
      try {
        run.done().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // a probe ends with its stop, or with what the replayed code threw
      }
      recorder.forget(journal.transactionId());
      return probe;
    }
  }

  /** Kills a run as a crash would, leaving its journal as it was. */
  private static void crash(Process p, SagaEngine.SagaRun run, String tx) {
    run.cancel();
    assertThatThrownBy(() -> run.done().get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(SagaCancelledException.class);
    p.recorder.forget(tx);
  }

  @Test
  void aRunInAJournaledTakeWaitsAndItsProbePerformsNothing() throws Exception {
    AtomicInteger charges = new AtomicInteger();
    Saga<JsonNode> saga = (a, ctx) -> {
      ActionChannel<JsonNode> replies = ctx.actionChannel("REPLY");
      ctx.put("REQUEST", "r1");
      ctx.take(replies);
      ctx.call("charge", charges::incrementAndGet);
      ctx.put("SHIP", 1);
      ctx.take("DONE");
      ctx.put("FINISH", 2);
    };
    Process first = new Process();
    first.bus.onPublish(x -> {
      if (x.topic().equals("REQUEST")) {
        first.bus.deliver(Action.of("REPLY", "tx-1", "ok"));
      }
    });
    SagaEngine.SagaRun run = first.begin("tx-1", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "DONE"));
    crash(first, run, "tx-1");

    Process second = new Process();
    RestoreProbe probe = second.probe(saga);
    assertThat(probe.decided()).isTrue();
    assertThat(probe.waits()).as("stopped at its journaled take of DONE").isTrue();
    assertThat(second.bus.published()).as("journaled puts are replayed, not published").isEmpty();
    assertThat(second.subscriptions).as("neither its channel nor its take subscribed").hasValue(0);
    assertThat(charges).as("the journaled call is not called again").hasValue(1);
  }

  @Test
  void aRunBetweenTwoEffectsGoesOnLiveAndItsProbeDoesNotRunTheNextOne() throws Exception {
    AtomicInteger charges = new AtomicInteger();
    CountDownLatch charging = new CountDownLatch(1);
    Saga<JsonNode> saga = (a, ctx) -> {
      ctx.put("REQUEST", "r1");
      ctx.call("charge", () -> {
        charges.incrementAndGet();
        charging.countDown();
        new CountDownLatch(1).await(); // crashes in here: the call is journaled only when it returns
        return 1;
      });
      ctx.take("DONE");
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", saga);
    assertThat(charging.await(30, TimeUnit.SECONDS)).isTrue();
    crash(first, run, "tx-1");

    RestoreProbe probe = new Process().probe(saga);
    assertThat(probe.decided()).isTrue();
    assertThat(probe.waits()).as("its next effect, the call, would run live").isFalse();
    assertThat(charges).as("the probe stopped before the call").hasValue(1);
  }

  @Test
  void changedCodeIsLeftToTheResumeAndCodeThatCatchesTheStopStillPublishesNothing() throws Exception {
    Saga<JsonNode> saga = (a, ctx) -> {
      ctx.put("REQUEST", "r1");
      ctx.take("DONE");
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "DONE"));
    crash(first, run, "tx-1");

    Process second = new Process();
    Saga<JsonNode> changed = (a, ctx) -> {
      ctx.call("charge", () -> 1); // the journal holds a put here: the resume reports the divergence
      ctx.take("DONE");
    };
    assertThat(second.probe(changed).waits()).isFalse();
    Saga<JsonNode> catching = (a, ctx) -> {
      ctx.put("REQUEST", "r1");
      try {
        ctx.take("DONE");
      } catch (SagaCancelledException e) {
        ctx.put("SWALLOWED", 1); // meets the probe's stop again
      }
    };
    RestoreProbe caught = second.probe(catching);
    assertThat(caught.waits()).as("the first decision holds").isTrue();
    assertThat(second.bus.published()).isEmpty();
    assertThat(second.subscriptions).hasValue(0);
  }

  /** Runs {@code saga} until {@code tx} subscribes to {@code topic} (and {@code ready} holds), then crashes it. */
  private void runUntilWaiting(Saga<JsonNode> saga, String topic, java.util.function.BooleanSupplier ready) {
    Process p = new Process();
    SagaEngine.SagaRun run = p.begin("tx-1", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> p.bus.hasSubscriber("tx-1", topic) && ready.getAsBoolean());
    crash(p, run, "tx-1");
  }

  @Test
  void aRaceOrAnAllOfTakesAndJournaledDelaysWaitsAndOneWithABranchThatMayRunAnEffectDoesNot() throws Exception {
    Saga<JsonNode> racing = (a, ctx) -> {
      ctx.put("REQUEST", "r1");
      ctx.race(Branch.of("reply", Effects.take("DONE")), Branch.of("timeout", Effects.delay(Duration.ofHours(1))));
    };
    // The timeout's deadline is journaled: a restore can set its timer.
    runUntilWaiting(racing, "DONE", () -> sink.journal(INPUT.runKey()).orElseThrow().entry("2/race/timeout") != null);
    RestoreProbe raced = new Process().probe(racing);
    assertThat(raced.waits()).as("a race's take is not journaled; its effect says it is a take").isTrue();
    assertThat(raced.topics()).as("what wakes it").containsExactly("DONE");

    CountDownLatch calling = new CountDownLatch(1);
    Saga<JsonNode> callOrReply = (a, ctx) -> ctx.race(Branch.of("reply", Effects.take("DONE")),
        Branch.of("call", Effects.call("slow", () -> {
          calling.countDown();
          new CountDownLatch(1).await();
          return 1;
        })));
    runUntilWaiting(callOrReply, "DONE", () -> calling.getCount() == 0);
    assertThat(new Process().probe(callOrReply).waits()).as("its call would run again, live").isFalse();

    Saga<JsonNode> both = (a, ctx) -> ctx.all(List.of(Effects.put("REQUEST", 1), Effects.take("DONE")));
    runUntilWaiting(both, "DONE", () -> sink.journal(INPUT.runKey()).orElseThrow().entry("1/all/0") != null);
    RestoreProbe all = new Process().probe(both);
    assertThat(all.waits()).as("its put returned, its take waits").isTrue();
    assertThat(all.topics()).containsExactly("DONE");
  }

  @Test
  void aProbeThreadThatOutlivesItsProbePerformsNothingInTheRunResumedSince() throws Exception {
    Saga<JsonNode> saga = (a, ctx) -> {
      ctx.put("REQUEST", "r1");
      ctx.take("DONE");
    };
    runUntilWaiting(saga, "DONE", () -> true);
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Saga<JsonNode> blocking = (a, ctx) -> {
      blocked.countDown();
      release.await(); // blocks outside any effect: the restore gives up on this probe
      ctx.put("REQUEST", "r1");
      ctx.put("AFTER", "r2");
    };
    Process second = new Process();
    SagaJournal journal = sink.journal(INPUT.runKey()).orElseThrow();
    second.recorder.probe(new RestoreProbe(journal));
    SagaEngine.SagaRun probe = second.engine.probe(blocking, journal.action(), null, null);
    assertThat(blocked.await(30, TimeUnit.SECONDS)).isTrue();
    second.recorder.forget(journal.transactionId()); // as a timed-out probe is forgotten
    second.recorder.resume(journal); // and its run resumed
    release.countDown();
    assertThatThrownBy(() -> probe.done().get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(RestoreProbe.Stop.class);
    assertThat(second.bus.published()).as("not even the put the resumed run has journaled").isEmpty();
  }
}
