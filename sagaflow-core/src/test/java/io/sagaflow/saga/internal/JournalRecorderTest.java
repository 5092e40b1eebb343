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
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.internal.journal.InMemoryJournalSink;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.JournalLimitException;
import io.sagaflow.saga.internal.journal.JournalLimits;
import io.sagaflow.saga.internal.journal.NonDeterminismException;
import io.sagaflow.saga.internal.journal.SagaJournal;
import io.sagaflow.saga.internal.journal.SagaReplayedException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Replay with no broker: a run journals into an in-memory sink, "crashes" (is cancelled, its engine
 * and recorder dropped), and a new engine and recorder resume it from the journal alone. Each
 * "process" publishes to a bus of its own, so the second bus shows exactly what the replay wrote.
 */
class JournalRecorderTest {
  private static final ActionCodec CODEC = ActionCodec.create();
  private final ManualTimer timer = new ManualTimer();
  private final InMemoryJournalSink sink = new InMemoryJournalSink();

  /** One process: an engine journaling through its own recorder, publishing to its own bus. */
  private final class Process {
    final LoopbackBus bus = new LoopbackBus();
    final JournalRecorder recorder;
    final SagaEngine engine;

    Process(JournalLimits limits) {
      recorder = new JournalRecorder(sink, CODEC, limits);
      engine = new SagaEngine(List.of(), bus, bus, timer, recorder, CODEC, 16, Activity.NONE);
    }

    Process() {
      this(JournalLimits.DEFAULT);
    }

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

  /** Kills a run as a crash would, leaving its journal as it was. */
  private static void crash(Process p, SagaEngine.SagaRun run, String tx) {
    run.cancel();
    assertThatThrownBy(() -> result(run)).isInstanceOf(SagaCancelledException.class);
    p.recorder.forget(tx);
  }

  private JournalEntry entry(String runKey, String id) {
    return sink.journal(runKey).orElseThrow().entry(id);
  }

  @Test
  void aResumedRunReplaysJournaledEffectsWithoutSideEffectsAndRunsTheRestLive() throws Exception {
    AtomicInteger charges = new AtomicInteger();
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      ActionChannel<JsonNode> replies = ctx.actionChannel("REPLY");                   // 1
      ctx.put("REQUEST", "r1");                                                        // 2
      Action<JsonNode> reply = ctx.take(replies);                                      // 3
      int charged = ctx.call("charge", charges::incrementAndGet);                      // 4
      UUID id = ctx.uuid();                                                            // 5
      Instant at = ctx.now();                                                          // 6
      ctx.put("SHIP", charged);                                                        // 7
      Action<JsonNode> done = ctx.take("DONE");                                        // 8
      ctx.put("FINISH", done.payload());                                               // 9
      return reply.payload().asText() + "/" + charged + "/" + id + "/" + at + "/" + done.payload().asText();
    };
    Process first = new Process();
    first.bus.onPublish(x -> {
      if (x.topic().equals("REQUEST")) {
        first.bus.deliver(Action.of("REPLY", "tx-1", "ok"));
      }
    });
    timer.advance(Duration.ofSeconds(5));
    SagaEngine.SagaRun run = first.begin("tx-1", 42, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "DONE"));
    crash(first, run, "tx-1");
    assertThat(first.publishedTopics()).containsExactly("REQUEST", "SHIP");
    SagaJournal journal = sink.journal("orders-0@42").orElseThrow();
    assertThat(journal.entries()).extracting(JournalEntry::id).containsExactly("1", "2", "3", "4", "5", "6", "7", "8");
    assertThat(journal.entry("8").status()).as("the take it waits on, journaled as it starts")
        .isEqualTo(JournalEntry.Status.PENDING);
    UUID uuid = (UUID) first.recorder.codec().decodeResult(journal.entry("5"));

    timer.advance(Duration.ofMinutes(10)); // a live now() would now differ
    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume("orders-0@42", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> second.bus.hasSubscriber("tx-1", "DONE"));
    assertThat(second.bus.published()).as("journaled puts are not published again").isEmpty();
    second.bus.deliver(Action.of("DONE", "tx-1", "end"));

    assertThat(result(resumed)).isEqualTo("ok/1/" + uuid + "/1970-01-01T00:00:05Z/end");
    assertThat(charges).as("a call that returned is not called again").hasValue(1);
    assertThat(second.publishedTopics()).as("only the first unjournaled put runs live").containsExactly("FINISH");
    assertThat(entry("orders-0@42", "8").status()).isEqualTo(JournalEntry.Status.RETURNED);
    assertThat(entry("orders-0@42", "9")).isNotNull();
    second.recorder.end("tx-1");
    assertThat(sink.journal("orders-0@42")).isEmpty();
    assertThat(sink.ended()).containsExactly("orders-0@42");
  }

  @Test
  void divergenceFailsOnlyTheDivergedRunAndNamesWhatTheJournalHeldAndWhatTheCodeDid() throws Exception {
    ReturningSaga<JsonNode, Object> original = (a, ctx) -> {
      ctx.put("A", 1);
      ctx.call("reserve", () -> "r");
      ctx.take("WAIT");
      return "done";
    };
    Process first = new Process();
    SagaEngine.SagaRun r1 = first.begin("tx-1", 1, original);
    SagaEngine.SagaRun r2 = first.begin("tx-2", 2, original);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "WAIT")
        && first.bus.hasSubscriber("tx-2", "WAIT"));
    crash(first, r1, "tx-1");
    crash(first, r2, "tx-2");

    ReturningSaga<JsonNode, Object> kindChanged = (a, ctx) -> {
      ctx.put("A", 1);
      ctx.put("B", 2); // was call(reserve)
      return "changed";
    };
    ReturningSaga<JsonNode, Object> topicChanged = (a, ctx) -> {
      ctx.put("A2", 1); // was put(A)
      return "changed";
    };
    Process second = new Process();
    SagaEngine.SagaRun kind = second.resume("orders-0@1", kindChanged);
    SagaEngine.SagaRun healthy = second.resume("orders-0@2", original);
    assertThatThrownBy(() -> result(kind)).isInstanceOf(NonDeterminismException.class)
        .hasMessageContaining("saga order")
        .hasMessageContaining("transaction tx-1")
        .hasMessageContaining("at effect 2")
        .hasMessageContaining("the journal holds call(reserve) but the code performed put(B)")
        .satisfies(e -> assertThat(((NonDeterminismException) e).effectId()).isEqualTo("2"));

    await().atMost(Duration.ofSeconds(30)).until(() -> second.bus.hasSubscriber("tx-2", "WAIT"));
    second.bus.deliver(Action.of("WAIT", "tx-2", "go"));
    assertThat(result(healthy)).as("the run that did not diverge is unaffected").isEqualTo("done");
    assertThat(second.publishedTopics()).as("neither the diverged put nor a replayed one was written").isEmpty();
    assertThat(entry("orders-0@1", "2").describe()).as("the divergence journaled nothing").isEqualTo("call(reserve)");

    second.recorder.forget("tx-1");
    SagaEngine.SagaRun topic = second.resume("orders-0@1", topicChanged);
    assertThatThrownBy(() -> result(topic)).isInstanceOf(NonDeterminismException.class)
        .hasMessageContaining("at effect 1: the journal holds put(A) but the code performed put(A2)");
  }

  @Test
  void aDelayWithFifteenSecondsLeftWhenItsProcessDiedWaitsFifteenSecondsMore() throws Exception {
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      ctx.put("BEFORE", null);
      ctx.delay(Duration.ofSeconds(60));
      ctx.put("AFTER", null);
      return ctx.now();
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 7, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.pending() == 1);
    timer.advance(Duration.ofSeconds(45));
    crash(first, run, "tx-1");
    JournalEntry delay = entry("orders-0@7", "2");
    assertThat(delay.status()).isEqualTo(JournalEntry.Status.PENDING);
    assertThat(delay.deadline()).as("journaled as an absolute deadline").isEqualTo(Instant.EPOCH.plusSeconds(60));

    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume("orders-0@7", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.pending() == 1);
    assertThat(timer.fireNext()).isTrue();
    assertThat(timer.elapsed()).as("the resumed delay was due 15 s later, not 60").isEqualTo(Duration.ofSeconds(60));
    assertThat(result(resumed)).isEqualTo(Instant.EPOCH.plusSeconds(60));
    assertThat(second.publishedTopics()).containsExactly("AFTER");
  }

  @Test
  void aDelayWhoseDeadlinePassedWhileItsProcessWasDownDoesNotWaitAgain() throws Exception {
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      ctx.delay(Duration.ofSeconds(60));
      return ctx.now();
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 8, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.pending() == 1);
    crash(first, run, "tx-1");
    timer.advance(Duration.ofSeconds(90));

    Process second = new Process();
    assertThat(result(second.resume("orders-0@8", saga))).isEqualTo(Instant.EPOCH.plusSeconds(90));
    assertThat(timer.pending()).isZero();
  }

  @Test
  void allAndRaceBranchesReplayUnderTheirBranchIds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Branch<Action<JsonNode>> reply = Branch.of("reply", Effects.take("REPLY"));
    Branch<String> timeout = Branch.of("timeout", Effects.delay(Duration.ofSeconds(30), "late"));
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      List<Object> both = ctx.all(List.of(Effects.call("a", () -> "a" + calls.incrementAndGet()),
          Effects.put("P", 1)));                                                      // 1, 1/all/0, 1/all/1
      RaceResult won = ctx.race(reply, timeout);                                       // 2, 2/race/*
      ctx.put("RESULT", won.key());                                                    // 3
      Action<JsonNode> end = ctx.take("END");                                          // 4
      return both + "/" + won.key() + "=" + won.value(timeout) + "/" + end.payload().asText();
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 9, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.pending() == 1);
    timer.fireNext(); // the timeout wins
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "END"));
    crash(first, run, "tx-1");
    SagaJournal journal = sink.journal("orders-0@9").orElseThrow();
    assertThat(journal.entries()).extracting(JournalEntry::id)
        .contains("1", "1/all/0", "1/all/1", "2", "2/race/timeout", "3").doesNotContain("2/race/reply");
    assertThat(first.publishedTopics()).containsExactlyInAnyOrder("P", "RESULT");

    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume("orders-0@9", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> second.bus.hasSubscriber("tx-1", "END"));
    assertThat(second.bus.hasSubscriber("tx-1", "REPLY")).as("the losing take is not run again").isFalse();
    second.bus.deliver(Action.of("END", "tx-1", "x"));
    assertThat(result(resumed)).isEqualTo("[a1, null]/timeout=late/x");
    assertThat(calls).hasValue(1);
    assertThat(second.bus.published()).isEmpty();
    assertThat(timer.pending()).as("the won timeout did not wait again").isZero();
  }

  @Test
  void aRaceCutShortByTheCrashRunsAgainWithItsTimeoutAtTheJournaledDeadline() throws Exception {
    Branch<Action<JsonNode>> reply = Branch.of("reply", Effects.take("REPLY"));
    Branch<String> timeout = Branch.of("timeout", Effects.delay(Duration.ofSeconds(30), "late"));
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      RaceResult won = ctx.race(reply, timeout);
      return won.won(reply) ? won.value(reply).payload().asText() : won.value(timeout);
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 10, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.pending() == 1);
    timer.advance(Duration.ofSeconds(20));
    crash(first, run, "tx-1");

    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume("orders-0@10", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> timer.pending() == 1
        && second.bus.hasSubscriber("tx-1", "REPLY"));
    timer.fireNext();
    assertThat(timer.elapsed()).isEqualTo(Duration.ofSeconds(30));
    assertThat(result(resumed)).isEqualTo("late");
    assertThat(entry("orders-0@10", "1").status()).isEqualTo(JournalEntry.Status.RETURNED);
  }

  @Test
  void aJournaledFailureIsThrownAgainWithoutRunningTheEffect() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      String first;
      try {
        ctx.call("ship", () -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("warehouse closed");
        });
        first = "shipped";
      } catch (IllegalStateException e) {
        first = e.getClass().getSimpleName() + ":" + e.getMessage();
      }
      String second;
      try {
        ctx.call("bill", () -> {
          attempts.incrementAndGet();
          throw new Unrebuildable(7);
        });
        second = "billed";
      } catch (Unrebuildable e) {
        second = "live:" + e.getMessage();
      } catch (SagaReplayedException e) {
        second = "replayed:" + e.originalType() + ":" + e.getMessage();
      }
      ctx.take("WAIT");
      return first + "|" + second;
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 11, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "WAIT"));
    crash(first, run, "tx-1");

    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume("orders-0@11", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> second.bus.hasSubscriber("tx-1", "WAIT"));
    second.bus.deliver(Action.of("WAIT", "tx-1", null));
    assertThat(result(resumed)).isEqualTo("IllegalStateException:warehouse closed|replayed:"
        + Unrebuildable.class.getName() + ":" + Unrebuildable.class.getName()
        + " (replayed from the saga journal): code 7");
    assertThat(attempts).as("failed calls are not called again").hasValue(2);
  }

  /** A checked exception a typed call declares. */
  public static final class Declined extends Exception {
    private static final long serialVersionUID = 1L;

    public Declined(String message) {
      super(message);
    }
  }

  private static String charge(int cents) throws Declined {
    throw new Declined("card refused " + cents);
  }

  @Test
  void aTypedCallsCheckedExceptionReplaysUnwrappedAsItWasThrown() throws Exception {
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      String outcome;
      try {
        outcome = ctx.call("charge", JournalRecorderTest::charge, 250);
      } catch (Declined e) {
        outcome = "declined: " + e.getMessage();
      }
      ctx.take("WAIT");
      return outcome;
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 15, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.bus.hasSubscriber("tx-1", "WAIT"));
    crash(first, run, "tx-1");
    assertThat(entry("orders-0@15", "1").failure().type()).isEqualTo(Declined.class.getName());

    Process second = new Process();
    SagaEngine.SagaRun resumed = second.resume("orders-0@15", saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> second.bus.hasSubscriber("tx-1", "WAIT")
        || resumed.done().isDone());
    second.bus.deliver(Action.of("WAIT", "tx-1", null));
    assertThat(result(resumed)).isEqualTo("declined: card refused 250");
  }

  /** An exception without a constructor a journal can rebuild it with. */
  static final class Unrebuildable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unrebuildable(int code) {
      super("code " + code);
    }
  }

  @Test
  void aRunOverItsEntryLimitFailsBeforeTheEffectThatDoesNotFit() throws Exception {
    Process p = new Process(new JournalLimits(3, 1 << 20));
    SagaEngine.SagaRun run = p.begin("tx-1", 12, (a, ctx) -> {
      for (int i = 0; i < 5; i++) {
        ctx.put("P" + i, i);
      }
      return null;
    });
    assertThatThrownBy(() -> result(run)).isInstanceOf(JournalLimitException.class)
        .hasMessageContaining("saga order (transaction tx-1, run orders-0@12) has journaled 3 effects")
        .hasMessageContaining("effect 4 is not performed");
    assertThat(p.publishedTopics()).containsExactly("P0", "P1", "P2");
  }

  @Test
  void aRunOverItsByteLimitFails() throws Exception {
    Process p = new Process(new JournalLimits(1_000, 2_000));
    SagaEngine.SagaRun run = p.begin("tx-1", 13, (a, ctx) -> ctx.call("big", () -> "x".repeat(5_000)));
    assertThatThrownBy(() -> result(run)).isInstanceOf(JournalLimitException.class)
        .hasMessageContaining("over the 2000 one run may journal");
  }

  @Test
  void theIdempotencyKeyNamesTheRunAndTheCallAndStaysTheSameWhenACallRunsAgain() throws Exception {
    List<String> keys = new java.util.concurrent.CopyOnWriteArrayList<>();
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger attempt = new AtomicInteger();
    ReturningSaga<JsonNode, Object> saga = (a, ctx) -> {
      ctx.put("A", null);
      return ctx.call("charge", () -> {
        keys.add(ctx.idempotencyKey());
        if (attempt.incrementAndGet() == 1) {
          never.await(); // the process dies while the callee works: its outcome is not journaled
        }
        return "charged";
      });
    };
    Process first = new Process();
    SagaEngine.SagaRun run = first.begin("tx-1", 14, saga);
    await().atMost(Duration.ofSeconds(30)).until(() -> keys.size() == 1);
    crash(first, run, "tx-1");
    assertThat(entry("orders-0@14", "2")).as("the interrupted call journaled nothing").isNull();

    Process second = new Process();
    assertThat(result(second.resume("orders-0@14", saga))).isEqualTo("charged");
    assertThat(keys).containsExactly("orders-0@14/2", "orders-0@14/2");
  }

  @Test
  void withoutAJournalTheIdempotencyKeyIsTheTransactionIdAndTheEffectId() throws Exception {
    LoopbackBus bus = new LoopbackBus();
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, timer, EffectRecorder.PASS_THROUGH, CODEC, 16,
        Activity.NONE);
    Object key = engine.startReturning((a, ctx) -> {
      ctx.now();
      List<String> inAll = ctx.all(List.of(Effects.call("x", ctx::idempotencyKey),
          Effects.call("y", ctx::idempotencyKey)));
      return ctx.call("k", ctx::idempotencyKey) + " " + inAll;
    }, Action.of("T", "tx-9", null), null, null).done().get(30, TimeUnit.SECONDS);
    assertThat(key).isEqualTo("tx-9/3 [tx-9/2/all/0, tx-9/2/all/1]");

    CompletableFuture<Object> outside = engine.startReturning((a, ctx) -> ctx.idempotencyKey(),
        Action.of("T", "tx-10", null), null, null).done();
    assertThatThrownBy(() -> outside.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("inside the function that ctx.call(...) runs");
  }

  @Test
  void aRunMustBeRegisteredBeforeItStarts() {
    Process p = new Process();
    CompletableFuture<Object> done = p.engine.startReturning((a, ctx) -> ctx.uuid(), Action.of("T", "tx-x", null),
        null, null).done();
    assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("register it with JournalRecorder.begin or resume");
  }
}
