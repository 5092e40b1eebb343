package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionChannelBuffer;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.Await;
import io.sagaflow.saga.Call;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.saga.Take;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SagaEngineTest {
  private final LoopbackBus bus = new LoopbackBus();
  private final ManualTimer timer = new ManualTimer();
  private static final String TX = "tx-1";

  record Pizza(String size, int slices) {}

  private SagaEngine engine(SagaMiddleware... middleware) {
    return new SagaEngine(List.of(middleware), bus, bus, timer, EffectRecorder.PASS_THROUGH, ActionCodec.create(),
        16, Activity.NONE);
  }

  private static Action<Object> trigger(Object payload) {
    return new Action<>("BEGIN", TX, payload, Map.of("trace", "t-1".getBytes(StandardCharsets.UTF_8)));
  }

  private static Object await(SagaEngine.SagaRun run) throws Exception {
    try {
      return run.done().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private Object run(SagaEngine engine, Saga<Object> saga, Object payload) throws Exception {
    return await(engine.start(saga, trigger(payload), null, null));
  }

  private List<String> putTopics() {
    return bus.published().stream().map(Action::topic).toList();
  }

  private void reply(String topic, Object payload) {
    bus.deliver(new Action<>(topic, TX, payload, Map.of()));
  }

  private void awaitSubscriber(String topic) {
    Await.until("a subscriber on " + topic, () -> bus.hasSubscriber(TX, topic));
  }

  @Test
  void putsCarryTheTransactionIdAndTheTriggeringHeaders() throws Exception {
    run(engine(), (action, ctx) -> {
      ctx.put("STARTED", action.payload());
      ctx.put("EXTRA", "x", Map.of("more", "m".getBytes(StandardCharsets.UTF_8)));
    }, new Pizza("L", 8));
    List<Action<?>> puts = bus.published();
    assertThat(puts).hasSize(2);
    assertThat(puts.get(0).topic()).isEqualTo("STARTED");
    assertThat(puts.get(0).transactionId()).isEqualTo(TX);
    assertThat(puts.get(0).payload()).isEqualTo(new Pizza("L", 8));
    assertThat(puts.get(0).header("trace")).isEqualTo("t-1");
    assertThat(puts.get(1).header("trace")).isEqualTo("t-1");
    assertThat(puts.get(1).header("more")).isEqualTo("m");
  }

  @Test
  void aSagaCallsAFunctionWithTheAction() throws Exception {
    List<Object> seen = new CopyOnWriteArrayList<>();
    run(engine(), (action, ctx) -> ctx.call(a -> seen.add(a), action), "hello");
    assertThat(seen).containsExactly(trigger("hello"));
  }

  @Test
  void errorsAreThrownIntoTheSagasCatch() throws Exception {
    run(engine(), (action, ctx) -> {
      try {
        ctx.call("explode", () -> {
          throw new IllegalStateException("boom");
        });
        ctx.put("OK", null);
      } catch (IllegalStateException e) {
        ctx.put("FAILED", e.getMessage());
      }
    }, null);
    assertThat(putTopics()).containsExactly("FAILED");
    assertThat(bus.published().get(0).payload()).isEqualTo("boom");
  }

  @Test
  void anUncaughtExceptionFailsTheRun() {
    assertThatThrownBy(() -> run(engine(), (action, ctx) -> {
      throw new IllegalArgumentException("bad");
    }, null)).isInstanceOf(IllegalArgumentException.class).hasMessage("bad");
  }

  @Test
  void aChannelOpenedBeforeAPutNeverMissesTheReply() throws Exception {
    bus.onPublish(a -> {
      if (a.topic().equals("REQUEST")) {
        bus.deliver(new Action<>("REPLY", a.transactionId(), "pong", Map.of()));
      }
    });
    Object result = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> replies = ctx.actionChannel("REPLY");
      ctx.put("REQUEST", "ping");
      return ctx.take(replies).payload().asText();
    }, trigger(null), null, null));
    assertThat(result).isEqualTo("pong");
  }

  @Test
  void predicateChannelsSkipNonMatchingActions() throws Exception {
    CompletableFuture<Action<Pizza>> taken = new CompletableFuture<>();
    SagaEngine.SagaRun run = engine().start((action, ctx) -> {
      ActionChannel<Pizza> large = ctx.actionChannel(ActionPattern.of("PIZZA", Pizza.class)
          .where(a -> a.payload().slices() >= 8));
      ctx.put("READY", null);
      taken.complete(ctx.take(large));
    }, trigger(null), null, null);
    Await.until("the channel is open", () -> putTopics().contains("READY"));
    reply("PIZZA", new Pizza("S", 4));
    reply("PIZZA", new Pizza("L", 8));
    await(run);
    assertThat(taken.get().payload()).isEqualTo(new Pizza("L", 8));
  }

  @Test
  void channelsOverTwoTopicsBufferBothInOrder() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    SagaEngine.SagaRun run = engine().start((action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel(List.of("A", "B"));
      ctx.put("READY", null);
      for (int i = 0; i < 3; i++) {
        Action<JsonNode> a = ctx.take(ch);
        got.add(a.topic() + ":" + a.payload().asText());
      }
    }, trigger(null), null, null);
    Await.until("the channel is open", () -> putTopics().contains("READY"));
    reply("B", "1");
    reply("C", "ignored");
    reply("A", "2");
    reply("B", "3");
    await(run);
    assertThat(got).containsExactly("B:1", "A:2", "B:3");
  }

  @Test
  void actionsOfOtherTransactionsAreNotSeen() throws Exception {
    SagaEngine.SagaRun run = engine().start((action, ctx) -> {
      Action<JsonNode> a = ctx.take("REPLY");
      ctx.put("GOT", a.payload().asText());
    }, trigger(null), null, null);
    awaitSubscriber("REPLY");
    bus.deliver(new Action<>("REPLY", "other-tx", "theirs", Map.of()));
    reply("REPLY", "ours");
    await(run);
    assertThat(bus.published().get(0).payload()).isEqualTo("ours");
  }

  @Test
  void takeOfSeveralTopicsReturnsTheFirstToArrive() throws Exception {
    SagaEngine.SagaRun run = engine().start((action, ctx) -> {
      Action<JsonNode> a = ctx.take(List.of("SUCCESS", "FAILURE"));
      ctx.put("GOT", a.topic());
    }, trigger(null), null, null);
    awaitSubscriber("FAILURE");
    reply("FAILURE", null);
    reply("SUCCESS", null);
    await(run);
    assertThat(bus.published().get(0).payload()).isEqualTo("FAILURE");
  }

  @Test
  void allWithAListReturnsResultsInOrder() throws Exception {
    Object result = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> ctx.all(List.of(
        Effects.call(() -> 1), Effects.delay(Duration.ZERO, "two"), Effects.call(x -> x + "!", "three"))),
        trigger(null), null, null));
    assertThat(result).isEqualTo(List.of(1, "two", "three!"));
  }

  @Test
  void allWithAMapReturnsResultsByKey() throws Exception {
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      Map<String, Effect<?>> effects = new LinkedHashMap<>();
      effects.put("reply", Effects.take("REPLY"));
      effects.put("put", Effects.put("ASK", "q"));
      Map<String, Object> results = ctx.all(effects);
      return ((Action<?>) results.get("reply")).payload() + "/" + results.get("put");
    }, trigger(null), null, null);
    awaitSubscriber("REPLY");
    reply("REPLY", "answer");
    assertThat(await(run)).isEqualTo("\"answer\"/null");
    assertThat(putTopics()).containsExactly("ASK");
  }

  @Test
  void allFailsWithTheFirstFailureAndCancelsTheOthers() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    run(engine(), (action, ctx) -> {
      try {
        ctx.all(List.of(Effects.call(() -> {
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            interrupted.countDown();
          }
          return null;
        }), Effects.call("fail", () -> {
          throw new IllegalStateException("branch failed");
        })));
      } catch (IllegalStateException e) {
        ctx.put("CAUGHT", e.getMessage());
      }
    }, null);
    assertThat(interrupted.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(bus.published().get(0).payload()).isEqualTo("branch failed");
  }

  @Test
  void raceWithAListReturnsTheWinnersIndex() throws Exception {
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.race(List.of(Effects.delay(Duration.ofSeconds(5), "timeout"), Effects.take("REPLY"))),
        trigger(null), null, null);
    awaitSubscriber("REPLY");
    Await.until("the delay is pending", () -> timer.pending() == 1);
    reply("REPLY", "fast");
    RaceResult result = (RaceResult) await(run);
    assertThat(result.index()).isEqualTo(1);
    assertThat(result.key()).isEqualTo("1");
    assertThat(((Action<?>) result.value()).payload()).hasToString("\"fast\"");
    assertThat(timer.pending()).as("the losing delay was cancelled").isZero();
  }

  @Test
  void raceWithAMapReturnsTheWinnersKey() throws Exception {
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.race(Map.of("timeout", Effects.delay(Duration.ofSeconds(5), "late"), "reply", Effects.take("REPLY"))),
        trigger(null), null, null);
    awaitSubscriber("REPLY");
    Await.until("the delay is pending", () -> timer.pending() == 1);
    timer.advance(Duration.ofSeconds(5));
    RaceResult result = (RaceResult) await(run);
    assertThat(result.key()).isEqualTo("timeout");
    assertThat(result.value()).isEqualTo("late");
    assertThat(bus.hasSubscriber(TX, "REPLY")).as("the losing take unsubscribed").isFalse();
  }

  @Test
  void aRaceLosersTakeDoesNotEatTheNextAction() throws Exception {
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
      ctx.put("READY", null);
      RaceResult r = ctx.race(Map.of("reply", Effects.take(ch), "timeout", Effects.delay(Duration.ofSeconds(1))));
      ctx.put("RACE_DONE", r.key());
      return ctx.take(ch).payload().asText();
    }, trigger(null), null, null);
    Await.until("the delay is pending", () -> timer.pending() == 1);
    timer.advance(Duration.ofSeconds(1));
    Await.until("the race finished", () -> putTopics().contains("RACE_DONE"));
    reply("REPLY", "next");
    assertThat(await(run)).isEqualTo("next");
    assertThat(bus.published().get(1).payload()).isEqualTo("timeout");
  }

  @Test
  void aRaceOfTwoReadyTakesLeavesTheLosersActionInItsChannel() throws Exception {
    Object result = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> a = ctx.actionChannel("A");
      ActionChannel<JsonNode> b = ctx.actionChannel("B");
      ctx.put("A", "a1");
      ctx.put("B", "b1");
      RaceResult r = ctx.race(List.of(Effects.take(a), Effects.take(b)));
      ActionChannel<JsonNode> loser = r.index() == 0 ? b : a;
      return loser.size() + ":" + ctx.take(loser).payload().asText();
    }, trigger(null), null, null));
    assertThat((String) result).matches("1:(a1|b1)");
  }

  @Test
  void aCancelledCallIsInterrupted() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.race(List.of(Effects.call("block", () -> {
          started.countDown();
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            interrupted.countDown();
          }
          return "never";
        }), Effects.take("REPLY"))).index(), trigger(null), null, null);
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    awaitSubscriber("REPLY");
    reply("REPLY", null);
    assertThat(await(run)).isEqualTo(1);
    assertThat(interrupted.getCount()).as("the losing call was interrupted before the race returned").isZero();
  }

  @Test
  void callsWithAndWithoutArgumentsAndAsync() throws Exception {
    Object result = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      int a = ctx.call(() -> 40);
      int b = ctx.call((Integer x) -> x + 1, a);
      String c = ctx.callAsync("async", () -> CompletableFuture.supplyAsync(() -> "async-" + b));
      return c;
    }, trigger(null), null, null));
    assertThat(result).isEqualTo("async-41");
  }

  @Test
  void aCalledSagaReturnsItsValueAndSharesTheTransaction() throws Exception {
    ReturningSaga<Integer, String> child = (action, ctx) -> {
      ctx.put("CHILD_PUT", action.payload());
      return "child-" + action.payload() + "-" + action.transactionId();
    };
    Object result = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.callSaga(child, 7), trigger(null), null, null));
    assertThat(result).isEqualTo("child-7-" + TX);
    assertThat(bus.published().get(0).header("trace")).isEqualTo("t-1");
  }

  @Test
  void aCalledSagasExceptionIsThrownIntoTheCaller() throws Exception {
    Saga<String> child = (action, ctx) -> {
      throw new IllegalStateException("child failed: " + action.payload());
    };
    run(engine(), (action, ctx) -> {
      try {
        ctx.callSaga(child, "x");
      } catch (IllegalStateException e) {
        ctx.put("CAUGHT", e.getMessage());
      }
    }, null);
    assertThat(bus.published().get(0).payload()).isEqualTo("child failed: x");
  }

  @Test
  void delayReturnsItsValue() throws Exception {
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.delay(Duration.ofMinutes(10), "done"), trigger(null), null, null);
    Await.until("the delay is pending", () -> timer.pending() == 1);
    timer.advance(Duration.ofMinutes(9));
    assertThat(run.done()).isNotDone();
    timer.advance(Duration.ofMinutes(1));
    assertThat(await(run)).isEqualTo("done");
  }

  @Test
  void middlewareRunsLeftToRightAndSeesRewrites() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    SagaMiddleware first = chain -> {
      log.add("first:" + chain.effect().describe());
      if (chain.effect() instanceof Put put && put.topic().equals("OLD")) {
        return chain.proceed(put.withTopic("NEW"));
      }
      return chain.proceed(chain.effect());
    };
    SagaMiddleware second = chain -> {
      log.add("second:" + chain.effect().describe());
      return chain.proceed(chain.effect());
    };
    run(engine(first, second), (action, ctx) -> ctx.put("OLD", 1), null);
    assertThat(log).containsExactly("first:put(OLD)", "second:put(NEW)");
    assertThat(putTopics()).containsExactly("NEW");
  }

  @Test
  void middlewareErrorsAreCaughtByTheSaga() throws Exception {
    SagaMiddleware failing = chain -> {
      if (chain.effect() instanceof Put put && put.topic().equals("FORBIDDEN")) {
        throw new IllegalStateException("middleware says no");
      }
      return chain.proceed(chain.effect());
    };
    run(engine(failing), (action, ctx) -> {
      try {
        ctx.put("FORBIDDEN", null);
      } catch (IllegalStateException e) {
        ctx.put("CAUGHT", e.getMessage());
      }
    }, null);
    assertThat(putTopics()).containsExactly("CAUGHT");
  }

  @Test
  void middlewareCanStubAnEffect() throws Exception {
    SagaMiddleware stub = chain -> chain.effect() instanceof Call<?> call && call.name().equals("charge")
        ? "stubbed"
        : chain.proceed(chain.effect());
    Object result = await(engine(stub).startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.call("charge", () -> "real"), trigger(null), null, null));
    assertThat(result).isEqualTo("stubbed");
  }

  @Test
  void callingProceedTwiceFailsLoudly() {
    SagaMiddleware twice = chain -> {
      chain.proceed(chain.effect());
      return chain.proceed(chain.effect());
    };
    assertThatThrownBy(() -> run(engine(twice), (action, ctx) -> ctx.put("X", null), null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("middleware must call proceed() at most once");
  }

  @Test
  void middlewareSeesNestedEffectsWithDeterministicIds() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    SagaMiddleware recorder = chain -> {
      seen.add(chain.effectId() + " " + chain.effect().describe());
      return chain.proceed(chain.effect());
    };
    ReturningSaga<String, String> child = (action, ctx) -> {
      ctx.put("CHILD", null);
      return "ok";
    };
    run(engine(recorder), (action, ctx) -> {
      ctx.put("FIRST", null);
      ctx.all(Map.of("a", Effects.put("IN_ALL", null)));
      ctx.race(List.of(Effects.callSaga("child", child, "x")));
    }, null);
    assertThat(seen).containsExactly(
        "1 put(FIRST)",
        "2 all[a]", "2/all/a put(IN_ALL)",
        "3 race[0]", "3/race/0 call(child)", "3/race/0/1 put(CHILD)");
  }

  @Test
  void cancellingARunInterruptsAPendingTake() throws Exception {
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    SagaEngine.SagaRun run = engine().start((action, ctx) -> {
      try {
        ctx.take("NEVER");
      } catch (SagaCancelledException e) {
        thrown.complete(e);
        throw e;
      }
    }, trigger(null), null, null);
    awaitSubscriber("NEVER");
    run.cancel();
    assertThatThrownBy(() -> await(run)).isInstanceOf(SagaCancelledException.class);
    assertThat(thrown.get()).hasMessageContaining("take([NEVER])");
    assertThat(bus.hasSubscriber(TX, "NEVER")).isFalse();
  }

  @Test
  void aFullChannelFailsTheNextTakeWithItsCapacity() throws Exception {
    SagaEngine.SagaRun run = engine().start((action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel(ActionPattern.of("FLOOD"), ActionChannelBuffer.bounded(2));
      ctx.put("READY", null);
      ctx.call("wait", () -> {
        Await.until("three actions were delivered", () -> bus.published().size() > 1);
        return null;
      });
      ctx.take(ch);
    }, trigger(null), null, null);
    Await.until("the channel is open", () -> putTopics().contains("READY"));
    reply("FLOOD", 1);
    reply("FLOOD", 2);
    reply("FLOOD", 3);
    bus.publish(new Action<>("DONE", "other", null, Map.of()));
    assertThatThrownBy(() -> await(run)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is full (capacity 2)");
  }

  /** Passes every effect on: a race under middleware runs its branches on threads of their own. */
  private static final SagaMiddleware PASS = chain -> chain.proceed(chain.effect());

  /** Without middleware a race of takes and delays runs without branch threads; with, on threads. */
  private SagaEngine raceEngine(boolean branchThreads) {
    return branchThreads ? engine(PASS) : engine();
  }

  @ParameterizedTest(name = "branch threads: {0}")
  @ValueSource(booleans = {false, true})
  void aRaceWaitingOnATakeAndADelayIsCancelledCleanly(boolean branchThreads) throws Exception {
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    SagaEngine.SagaRun run = raceEngine(branchThreads).start((action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
      try {
        ctx.race(Map.of("reply", Effects.take(ch), "timeout", Effects.delay(Duration.ofSeconds(5))));
      } catch (SagaCancelledException e) {
        thrown.complete(e);
        throw e;
      }
    }, trigger(null), null, null);
    Await.until("the delay is pending", () -> timer.pending() == 1);
    run.cancel();
    assertThatThrownBy(() -> await(run)).isInstanceOf(SagaCancelledException.class);
    assertThat(thrown.get()).hasMessageContaining("race[");
    assertThat(timer.pending()).as("the delay was stopped").isZero();
    assertThat(bus.hasSubscriber(TX, "REPLY")).as("the channel closed with the run").isFalse();
  }

  @ParameterizedTest(name = "branch threads: {0}")
  @ValueSource(booleans = {false, true})
  void aRaceOnAFailedChannelThrowsItsFailureAndStopsTheDelay(boolean branchThreads) throws Exception {
    SagaEngine.SagaRun run = raceEngine(branchThreads).start((action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel(ActionPattern.of("FLOOD"), ActionChannelBuffer.bounded(1));
      ctx.put("READY", null);
      ctx.call("wait", () -> {
        Await.until("two actions were delivered", () -> bus.published().size() > 1);
        return null;
      });
      ctx.race(Map.of("reply", Effects.take(ch), "timeout", Effects.delay(Duration.ofSeconds(5))));
    }, trigger(null), null, null);
    Await.until("the channel is open", () -> putTopics().contains("READY"));
    reply("FLOOD", 1);
    reply("FLOOD", 2);
    bus.publish(new Action<>("DONE", "other", null, Map.of()));
    assertThatThrownBy(() -> await(run)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is full (capacity 1)");
    assertThat(timer.pending()).isZero();
  }

  @ParameterizedTest(name = "branch threads: {0}")
  @ValueSource(booleans = {false, true})
  void aTakeFromAClosedChannelSaysItIsClosed(boolean branchThreads) throws Exception {
    SagaEngine engine = raceEngine(branchThreads);
    assertThatThrownBy(() -> run(engine, (action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
      ch.close();
      ctx.race(Map.of("reply", Effects.take(ch), "timeout", Effects.delay(Duration.ofSeconds(5))));
    }, null)).isInstanceOf(IllegalStateException.class).hasMessage("the action channel on [REPLY] is closed");
    assertThatThrownBy(() -> run(engine, (action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
      ch.close();
      ctx.take(ch);
    }, null)).isInstanceOf(IllegalStateException.class).hasMessage("the action channel on [REPLY] is closed");
    assertThat(timer.pending()).isZero();
  }

  @Test
  void aRaceOfAZeroDelayAndAnEmptyChannelIsWonByTheDelay() throws Exception {
    Object key = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
      return ctx.race(Map.of("reply", Effects.take(ch), "now", Effects.delay(Duration.ZERO, "v"))).key();
    }, trigger(null), null, null));
    assertThat(key).isEqualTo("now");
  }

  @ParameterizedTest(name = "branch threads: {0}")
  @ValueSource(booleans = {false, true})
  void anInnerRaceThatLosesAnOuterRaceReturnsWhatItTook(boolean branchThreads) throws Exception {
    SagaEngine engine = raceEngine(branchThreads);
    for (int i = 0; i < 50; i++) {
      Object result = await(engine.startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
        ActionChannel<JsonNode> a = ctx.actionChannel("A");
        ActionChannel<JsonNode> b = ctx.actionChannel("B");
        ctx.put("A", "a1");
        ctx.put("B", "b1");
        // The outer race has a race branch, so it runs on branch threads; the inner one may not.
        RaceResult r = ctx.race(List.of(
            Effects.race(List.of(Effects.take(a), Effects.delay(Duration.ofSeconds(5)))), Effects.take(b)));
        return r.index() + ":" + (a.size() + b.size());
      }, trigger(null), null, null));
      assertThat((String) result).as("one action taken, the other back in its channel").matches("[01]:1");
      assertThat(timer.pending()).isZero();
    }
  }

  @Test
  void takingFromAChannelOfAnotherImplementationIsRejected() {
    ActionChannel<JsonNode> fake = new ActionChannel<>() {
      @Override
      public List<String> topics() {
        return List.of("X");
      }

      @Override
      public int size() {
        return 0;
      }

      @Override
      public void close() {}
    };
    assertThatThrownBy(() -> run(engine(), (action, ctx) -> ctx.perform(new Take<>(fake, null)), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("opened with SagaContext.actionChannel");
  }

  @Test
  void theUserContextIsTyped() throws Exception {
    record Deps(String name) {}
    Object result = await(engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) ->
        ctx.userContext(Deps.class).name(), trigger(null), null, new Deps("deps")));
    assertThat(result).isEqualTo("deps");
    List<Object> errors = new ArrayList<>();
    run(engine(), (action, ctx) -> {
      try {
        ctx.userContext(Deps.class);
      } catch (IllegalStateException e) {
        errors.add(e.getMessage());
      }
    }, null);
    assertThat(errors).singleElement().asString().contains("withContextFactory");
  }

  @Test
  void nowAndUuidAreEffectsThatMiddlewareCanControl() throws Exception {
    SagaEngine.SagaRun run = engine().startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      java.time.Instant before = ctx.now();
      ctx.delay(Duration.ofMinutes(1));
      return List.of(before, ctx.now(), ctx.uuid().equals(ctx.uuid()));
    }, trigger(null), null, null);
    Await.until("the delay is pending", () -> timer.pending() == 1);
    timer.advance(Duration.ofMinutes(1));
    assertThat(await(run)).isEqualTo(List.of(java.time.Instant.EPOCH, java.time.Instant.EPOCH.plusSeconds(60), false));

    java.util.UUID fixed = new java.util.UUID(0, 42);
    SagaMiddleware stub = chain -> chain.effect() instanceof io.sagaflow.saga.Uuid ? fixed : chain.proceed(chain.effect());
    assertThat(await(engine(stub).startReturning((ReturningSaga<Object, Object>) (action, ctx) -> ctx.uuid(),
        trigger(null), null, null))).isEqualTo(fixed);
  }
}
