package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.SagaContext;
import io.sagaflow.saga.SagaMiddleware;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every kind of effect, branches included, reaches the recorder (where a journal will go) once,
 * after the middleware, under its deterministic id.
 */
class EffectExecutorTest {

  @Test
  void everyEffectPassesTheRecorderAfterTheMiddlewareUnderItsId() throws Exception {
    LoopbackBus bus = new LoopbackBus();
    bus.onPublish(a -> {
      if (a.topic().equals("REQUEST-RENAMED")) {
        bus.deliver(new Action<>("REPLY", a.transactionId(), "pong", Map.of()));
      }
    });
    Map<String, String> seenByMiddleware = new ConcurrentHashMap<>();
    SagaMiddleware rename = chain -> {
      seenByMiddleware.put(chain.effectId(), chain.effect().getClass().getSimpleName());
      if (chain.effect() instanceof Put put && put.topic().equals("REQUEST")) {
        return chain.proceed(Effects.put("REQUEST-RENAMED", put.payload()));
      }
      return chain.proceed(chain.effect());
    };
    Map<String, String> recorded = new ConcurrentHashMap<>();
    Map<String, Effect<?>> recordedEffects = new ConcurrentHashMap<>();
    EffectRecorder recorder = (String id, Effect<?> effect, SagaContext ctx, EffectRecorder.Execution execution) -> {
      recorded.merge(id, effect.getClass().getSimpleName(), (a, b) -> a + " and again " + b);
      recordedEffects.put(id, effect);
      return execution.execute();
    };
    SagaEngine engine = new SagaEngine(List.of(rename), bus, bus, new ManualTimer(), recorder, ActionCodec.create(),
        16, Activity.NONE);
    ReturningSaga<Object, Object> inner = (action, ctx) -> ctx.uuid();

    Object result = engine.startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> replies = ctx.actionChannel("REPLY");
      ctx.put("REQUEST", "ping");
      String reply = ctx.take(replies).payload().asText();
      ctx.call("c", () -> "x");
      ctx.all(List.of(Effects.delay(Duration.ZERO, "d"), Effects.call("in-all", () -> "y")));
      RaceResult race = ctx.race(List.of(Effects.take(replies), Effects.delay(Duration.ZERO, "late")));
      ctx.now();
      ctx.uuid();
      ctx.delay(Duration.ZERO);
      ctx.callSaga(inner, null);
      return reply + "/" + race.key();
    }, Action.of("BEGIN", "tx", null), null, null).done().get(30, TimeUnit.SECONDS);

    assertThat(result).isEqualTo("pong/1");
    assertThat(recorded).containsOnly(
        entry("1", "ActionChannelOpen"),
        entry("2", "Put"),
        entry("3", "Take"),
        entry("4", "Call"),
        entry("5", "All"),
        entry("5/all/0", "Delay"),
        entry("5/all/1", "Call"),
        entry("6", "Race"),
        entry("6/race/0", "Take"),
        entry("6/race/1", "Delay"),
        entry("7", "Now"),
        entry("8", "Uuid"),
        entry("9", "Delay"),
        entry("10", "Call"),
        entry("10/1", "Uuid"));
    assertThat(seenByMiddleware).as("the middleware saw the same effects under the same ids").isEqualTo(recorded);
    assertThat(((Put) recordedEffects.get("2")).topic())
        .as("the recorder gets the effect as it left the middleware").isEqualTo("REQUEST-RENAMED");
  }

  @Test
  void aRaceOfTakesAndDelaysUnderARecorderRecordsEachBranch() throws Exception {
    // Without middleware or an observer such a race would run without branch threads and its
    // branches would never reach the recorder: a journal must see them.
    LoopbackBus bus = new LoopbackBus();
    Map<String, String> recorded = new ConcurrentHashMap<>();
    EffectRecorder recorder = (String id, Effect<?> effect, SagaContext ctx, EffectRecorder.Execution execution) -> {
      recorded.put(id, effect.getClass().getSimpleName());
      return execution.execute();
    };
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, new ManualTimer(), recorder, ActionCodec.create(), 16,
        Activity.NONE);

    Object result = engine.startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> replies = ctx.actionChannel("REPLY");
      return ctx.race(Map.of("reply", Effects.take(replies), "timeout", Effects.delay(Duration.ZERO))).key();
    }, Action.of("BEGIN", "tx", null), null, null).done().get(30, TimeUnit.SECONDS);

    assertThat(result).isEqualTo("timeout");
    assertThat(recorded).containsOnly(entry("1", "ActionChannelOpen"), entry("2", "Race"),
        entry("2/race/reply", "Take"), entry("2/race/timeout", "Delay"));
  }
}
