package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Await;
import io.sagaflow.saga.CompensationException;
import io.sagaflow.saga.CompensationOptions;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaMiddleware;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Compensation steps: order, options, ids, and registrations inside all/race branches. */
class CompensationTest {
  private static final String TX = "tx-comp";
  private final LoopbackBus bus = new LoopbackBus();
  private final List<String> ids = new CopyOnWriteArrayList<>();

  private SagaEngine engine() {
    SagaMiddleware recordIds = chain -> {
      if (chain.effect() instanceof Put put) {
        ids.add(chain.effectId() + " " + put.topic());
      }
      return chain.proceed(chain.effect());
    };
    return new SagaEngine(List.of(recordIds), bus, bus, new ManualTimer(), EffectRecorder.PASS_THROUGH,
        ActionCodec.create(), 16, Activity.NONE);
  }

  private SagaEngine.SagaRun start(ReturningSaga<Object, ?> saga) {
    return engine().startReturning(saga, new Action<>("BEGIN", TX, null, Map.of()), null, null);
  }

  private static Throwable failureOf(SagaEngine.SagaRun run) throws Exception {
    try {
      run.done().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the saga succeeded");
  }

  private static Effect<?> sub(Saga<Object> saga) {
    return Effects.callSaga(saga, null);
  }

  private List<String> puts() {
    return bus.published().stream().map(Action::topic).toList();
  }

  private static List<String> suppressed(Throwable t) {
    return Arrays.stream(t.getSuppressed()).map(Throwable::getMessage).toList();
  }

  @Test
  void aFailingSagaRunsItsStepsInReverseOrderUnderCompensateIds() throws Exception {
    Throwable failure = failureOf(start((a, ctx) -> {
      ctx.put("DONE_1", null);
      ctx.addCompensation(Effects.put("UNDO_1", null));
      ctx.addCompensation(c -> c.put("UNDO_2", null));
      ctx.put("DONE_2", null);
      ctx.addCompensation(Effects.put("UNDO_3", null));
      throw new IllegalStateException("boom");
    }));
    assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessage("boom");
    assertThat(puts()).containsExactly("DONE_1", "DONE_2", "UNDO_3", "UNDO_2", "UNDO_1");
    assertThat(ids).containsExactly("1 DONE_1", "2 DONE_2", "compensate/1/3 UNDO_3", "compensate/1/2/1 UNDO_2",
        "compensate/1/1 UNDO_1");
    assertThat(failure.getSuppressed()).singleElement().isInstanceOf(CompensationException.class);
    assertThat(suppressed(failure)).containsExactly(
        "the saga was compensated after its failure: 3 of 3 step(s) ran, all succeeded");
  }

  @Test
  void aSagaThatSucceedsDoesNotCompensate() throws Exception {
    start((a, ctx) -> {
      ctx.addCompensation(Effects.put("UNDO", null));
      ctx.put("DONE", null);
      return null;
    }).done().get(30, TimeUnit.SECONDS);
    assertThat(puts()).containsExactly("DONE");
  }

  @Test
  void compensateRunsTheStepsNowAndClearsThem() throws Exception {
    start((a, ctx) -> {
      ctx.addCompensation(Effects.put("UNDO_1", null));
      ctx.addCompensation(Effects.put("UNDO_2", null));
      ctx.compensate();
      ctx.compensate(); // nothing left
      ctx.addCompensation(Effects.put("UNDO_3", null));
      ctx.compensate();
      return null;
    }).done().get(30, TimeUnit.SECONDS);
    assertThat(puts()).containsExactly("UNDO_2", "UNDO_1", "UNDO_3");
    assertThat(ids).containsExactly("compensate/1/2 UNDO_2", "compensate/1/1 UNDO_1", "compensate/2/3 UNDO_3");
  }

  @Test
  void clearForgetsTheStepsRegisteredSoFar() throws Exception {
    failureOf(start((a, ctx) -> {
      ctx.addCompensation(Effects.put("UNDO_1", null));
      ctx.clearCompensations();
      ctx.addCompensation(Effects.put("UNDO_2", null));
      throw new IllegalStateException("boom");
    }));
    assertThat(puts()).containsExactly("UNDO_2");
  }

  @Test
  void byDefaultCompensationStopsAtTheFirstFailedStep() throws Exception {
    Throwable failure = failureOf(start((a, ctx) -> {
      ctx.addCompensation(Effects.put("UNDO_1", null));
      ctx.addCompensation(c -> {
        throw new IllegalStateException("undo 2 failed");
      });
      ctx.addCompensation(Effects.put("UNDO_3", null));
      throw new IllegalStateException("boom");
    }));
    assertThat(puts()).containsExactly("UNDO_3");
    assertThat(suppressed(failure)).containsExactly("undo 2 failed",
        "the saga was compensated after its failure: 2 of 3 step(s) ran, 1 failed");
  }

  @Test
  void continueOnFailureRunsEveryStepAndCollectsTheFailures() throws Exception {
    Throwable failure = failureOf(start((a, ctx) -> {
      ctx.compensationOptions(CompensationOptions.DEFAULT.withContinueOnFailure(true));
      ctx.addCompensation(c -> {
        throw new IllegalStateException("undo 1 failed");
      });
      ctx.addCompensation(Effects.put("UNDO_2", null));
      ctx.addCompensation(c -> {
        throw new IllegalStateException("undo 3 failed");
      });
      throw new IllegalStateException("boom");
    }));
    assertThat(puts()).containsExactly("UNDO_2");
    assertThat(suppressed(failure)).containsExactly("undo 3 failed", "undo 1 failed",
        "the saga was compensated after its failure: 3 of 3 step(s) ran, 2 failed");
  }

  @Test
  void anExplicitCompensateThrowsWhenAStepFailed() throws Exception {
    Object result = start((a, ctx) -> {
      ctx.addCompensation(c -> {
        throw new IllegalStateException("undo failed");
      });
      try {
        ctx.compensate();
        return "no exception";
      } catch (CompensationException e) {
        return e.getCause().getMessage();
      }
    }).done().get(30, TimeUnit.SECONDS);
    assertThat(result).isEqualTo("undo failed");
  }

  @Test
  void parallelStepsRunAtOnce() throws Exception {
    // Each step waits for the other to start: only steps that run at once both finish.
    CountDownLatch started = new CountDownLatch(2);
    Throwable failure = failureOf(start((a, ctx) -> {
      ctx.compensationOptions(CompensationOptions.DEFAULT.withParallel(true));
      for (String undo : List.of("UNDO_1", "UNDO_2")) {
        ctx.addCompensation(c -> {
          started.countDown();
          if (!started.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the other step did not run at the same time");
          }
          c.put(undo, null);
        });
      }
      throw new IllegalStateException("boom");
    }));
    assertThat(puts()).containsExactlyInAnyOrder("UNDO_1", "UNDO_2");
    assertThat(ids).containsExactlyInAnyOrder("compensate/1/2/1 UNDO_2", "compensate/1/1/1 UNDO_1");
    assertThat(suppressed(failure)).containsExactly(
        "the saga was compensated after its failure: 2 of 2 step(s) ran, all succeeded");
  }

  @Test
  void theRunSaysItIsCompensatingWhileStepsRun() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    SagaEngine.SagaRun run = start((a, ctx) -> {
      ctx.addCompensation(c -> c.call("wait", () -> release.get(10, TimeUnit.SECONDS)));
      throw new IllegalStateException("boom");
    });
    Await.until("the run to compensate", run::compensating);
    assertThat(run.done()).isNotDone();
    release.complete(null);
    failureOf(run);
    assertThat(run.compensating()).isFalse();
  }

  @Test
  void aCancelledRunDoesNotCompensate() throws Exception {
    SagaEngine.SagaRun run = start((a, ctx) -> {
      ctx.addCompensation(Effects.put("UNDO", null));
      ctx.put("WAITING", null);
      ctx.take("NEVER");
      return null;
    });
    Await.until("the saga to wait", () -> bus.hasSubscriber(TX, "NEVER"));
    run.cancel();
    failureOf(run);
    assertThat(puts()).containsExactly("WAITING");
  }

  @Test
  void aStepCannotRegisterSteps() throws Exception {
    Throwable failure = failureOf(start((a, ctx) -> {
      ctx.addCompensation(c -> c.addCompensation(Effects.put("UNDO_UNDO", null)));
      throw new IllegalStateException("boom");
    }));
    assertThat(failure.getSuppressed()[0]).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("a compensation step cannot register compensation steps");
  }

  @Test
  void branchRegistrationsJoinTheSagaWhenTheAllEndsInDeclarationOrder() throws Exception {
    CountDownLatch aRegistered = new CountDownLatch(1);
    Throwable failure = failureOf(start((a, ctx) -> {
      ctx.addCompensation(Effects.put("UNDO_BEFORE", null));
      Map<String, Effect<?>> branches = new LinkedHashMap<>();
      branches.put("a", sub((p, c) -> {
        c.addCompensation(Effects.put("UNDO_A", null));
        aRegistered.countDown();
      }));
      branches.put("b", sub((p, c) -> {
        c.addCompensation(Effects.put("UNDO_B", null));
        aRegistered.await();
        throw new IllegalStateException("b failed");
      }));
      ctx.all(branches);
      return null;
    }));
    assertThat(failure).hasMessageContaining("b failed");
    assertThat(puts()).containsExactly("UNDO_B", "UNDO_A", "UNDO_BEFORE");
    assertThat(ids).containsExactly("compensate/1/1/all/b/1 UNDO_B", "compensate/1/1/all/a/1 UNDO_A",
        "compensate/1/1 UNDO_BEFORE");
  }

  @Test
  void aRaceLosersStepsRunWhenTheRaceEndsAndTheWinnersJoinTheSaga() throws Exception {
    CountDownLatch loserRegistered = new CountDownLatch(1);
    Throwable failure = failureOf(start((a, ctx) -> {
      Map<String, Effect<?>> branches = new LinkedHashMap<>();
      branches.put("winner", sub((p, c) -> {
        c.addCompensation(Effects.put("UNDO_WINNER", null));
        loserRegistered.await();
      }));
      branches.put("loser", sub((p, c) -> {
        c.addCompensation(Effects.put("UNDO_LOSER", null));
        loserRegistered.countDown();
        c.take("NEVER");
      }));
      RaceResult r = ctx.race(branches);
      ctx.put("WON_" + r.key(), null);
      throw new IllegalStateException("boom");
    }));
    assertThat(failure).hasMessage("boom");
    assertThat(puts()).containsExactly("UNDO_LOSER", "WON_winner", "UNDO_WINNER");
    assertThat(ids).containsExactly("1/race/loser/compensate/1/1 UNDO_LOSER", "2 WON_winner",
        "compensate/1/1/race/winner/1 UNDO_WINNER");
  }
}
