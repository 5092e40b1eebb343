package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Await;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.SagaMiddleware;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Branches of an all or a race that take from one channel claim its actions in declaration order.
 * Each test repeats its saga many times: with the old random order (branch threads racing to the
 * channel) some iteration would hand the actions out of order.
 */
class ClaimOrderTest {
  private static final int ITERATIONS = 200;
  private static final String TX = "tx-order";

  private static SagaEngine engine(LoopbackBus bus, SagaMiddleware... middleware) {
    return new SagaEngine(List.of(middleware), bus, bus, new ManualTimer(), EffectRecorder.PASS_THROUGH,
        ActionCodec.create(), 16, Activity.NONE);
  }

  private static Object await(SagaEngine.SagaRun run) throws Exception {
    try {
      return run.done().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private static Action<Object> trigger() {
    return new Action<>("BEGIN", TX, null, Map.of());
  }

  private static int n(Object action) {
    return ((JsonNode) ((Action<?>) action).payload()).asInt();
  }

  @Test
  void twoTakesInAnAllGetBufferedActionsInDeclarationOrder() throws Exception {
    for (int i = 0; i < ITERATIONS; i++) {
      LoopbackBus bus = new LoopbackBus();
      Object result = await(engine(bus).startReturning((a, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
        ctx.put("REPLY", 1);
        ctx.put("REPLY", 2);
        ctx.put("REPLY", 3);
        return ctx.all(List.of(Effects.take(ch), Effects.take(ch), Effects.take(ch)));
      }, trigger(), null, null));
      assertThat(((List<?>) result).stream().map(ClaimOrderTest::n).toList())
          .as("iteration %d", i).containsExactly(1, 2, 3);
    }
  }

  @Test
  void twoTakesWaitingInAnAllGetLaterActionsInDeclarationOrder() throws Exception {
    for (int i = 0; i < ITERATIONS; i++) {
      LoopbackBus bus = new LoopbackBus();
      SagaEngine.SagaRun run = engine(bus).startReturning((a, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
        Map<String, Effect<?>> branches = new LinkedHashMap<>();
        branches.put("first", Effects.take(ch));
        branches.put("second", Effects.take(ch));
        ctx.put("READY", null);
        return ctx.all(branches);
      }, trigger(), null, null);
      Await.until("the saga to be ready", () -> !bus.published().isEmpty());
      bus.deliver(new Action<>("REPLY", TX, 1, Map.of()));
      bus.deliver(new Action<>("REPLY", TX, 2, Map.of()));
      @SuppressWarnings("unchecked")
      Map<String, Object> result = (Map<String, Object>) await(run);
      assertThat(n(result.get("first"))).as("iteration %d", i).isEqualTo(1);
      assertThat(n(result.get("second"))).as("iteration %d", i).isEqualTo(2);
    }
  }

  @Test
  void nestedAllsClaimDepthFirstInDeclarationOrder() throws Exception {
    for (int i = 0; i < ITERATIONS / 2; i++) {
      LoopbackBus bus = new LoopbackBus();
      Object result = await(engine(bus).startReturning((a, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
        for (int k = 1; k <= 4; k++) {
          ctx.put("REPLY", k);
        }
        return ctx.all(List.of(Effects.all(List.of(Effects.take(ch), Effects.take(ch))), Effects.take(ch),
            Effects.take(ch)));
      }, trigger(), null, null));
      List<?> outer = (List<?>) result;
      List<?> inner = (List<?>) outer.get(0);
      assertThat(List.of(n(inner.get(0)), n(inner.get(1)), n(outer.get(1)), n(outer.get(2))))
          .as("iteration %d", i).containsExactly(1, 2, 3, 4);
    }
  }

  @Test
  void raceBranchesWithThreadsClaimInDeclarationOrder() throws Exception {
    // A middleware makes the race use branch threads, whose takes used to race for the channel.
    SagaMiddleware passThrough = chain -> chain.proceed(chain.effect());
    for (int i = 0; i < ITERATIONS; i++) {
      LoopbackBus bus = new LoopbackBus();
      Object result = await(engine(bus, passThrough).startReturning((a, ctx) -> {
        ActionChannel<JsonNode> ch = ctx.actionChannel("REPLY");
        ctx.put("REPLY", 1);
        ctx.put("REPLY", 2);
        RaceResult r = ctx.race(List.of(Effects.take(ch), Effects.take(ch)));
        return List.of(r.index(), n(r.value()), n(ctx.take(ch)));
      }, trigger(), null, null));
      List<?> r = (List<?>) result;
      int winner = (Integer) r.get(0);
      // The winner got the action of its declaration index; the loser's went back to the channel.
      assertThat(r.get(1)).as("iteration %d", i).isEqualTo(winner + 1);
      assertThat(r.get(2)).as("iteration %d", i).isEqualTo(2 - winner);
    }
  }
}
