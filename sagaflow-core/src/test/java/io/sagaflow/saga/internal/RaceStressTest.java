package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.SagaMiddleware;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Races of takes while actions arrive concurrently: no action is ever lost or duplicated, whichever
 * branch wins and however the deliveries interleave with the cancellations.
 */
class RaceStressTest {

  @Test
  void racingTakesNeverLoseOrDuplicateActions() throws Exception {
    stress(List.of()); // branches without threads of their own
  }

  @Test
  void racingTakesOnBranchThreadsNeverLoseOrDuplicateActions() throws Exception {
    stress(List.of(chain -> chain.proceed(chain.effect()))); // middleware: a thread per branch
  }

  @Test
  void racingOverALongLivedChannelLeavesNoCallbacksOnIt() throws Exception {
    LoopbackBus bus = new LoopbackBus();
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, new ManualTimer(), EffectRecorder.PASS_THROUGH,
        ActionCodec.create(), 4096, Activity.NONE);
    SagaEngine.SagaRun run = engine.startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> a = ctx.actionChannel("A");
      ActionChannel<JsonNode> idle = ctx.actionChannel("B"); // never gets an action: loses every race
      for (int i = 0; i < 500; i++) {
        bus.deliver(Action.of("A", "tx", i));
        ctx.race(List.of(Effects.take(idle), Effects.take(a))); // idle first: it is set up before a wins
      }
      return ((ActionChannelImpl<?>) idle).failure.getNumberOfDependents();
    }, Action.of("BEGIN", "tx", null), null, null);
    assertThat((Integer) run.done().get(60, TimeUnit.SECONDS)).isLessThanOrEqualTo(2);
  }

  private static void stress(List<SagaMiddleware> middleware) throws Exception {
    LoopbackBus bus = new LoopbackBus();
    SagaEngine engine = new SagaEngine(middleware, bus, bus, new ManualTimer(), EffectRecorder.PASS_THROUGH,
        ActionCodec.create(), 4096, Activity.NONE);
    int perTopic = 300;
    CountDownLatch opened = new CountDownLatch(1);
    SagaEngine.SagaRun run = engine.startReturning((ReturningSaga<Object, Object>) (action, ctx) -> {
      ActionChannel<JsonNode> a = ctx.actionChannel("A");
      ActionChannel<JsonNode> b = ctx.actionChannel("B");
      opened.countDown();
      List<String> taken = new ArrayList<>();
      while (taken.size() < 2 * perTopic) {
        Action<?> won = (Action<?>) ctx.race(List.of(Effects.take(a), Effects.take(b))).value();
        taken.add(won.topic() + ((JsonNode) won.payload()).asInt());
      }
      return taken;
    }, Action.of("BEGIN", "tx", null), null, null);
    assertThat(opened.await(30, TimeUnit.SECONDS)).isTrue();
    Thread producerA = Thread.ofVirtual().start(() -> {
      for (int i = 0; i < perTopic; i++) {
        bus.deliver(Action.of("A", "tx", i));
      }
    });
    Thread producerB = Thread.ofVirtual().start(() -> {
      for (int i = 0; i < perTopic; i++) {
        bus.deliver(Action.of("B", "tx", i));
      }
    });
    producerA.join();
    producerB.join();
    @SuppressWarnings("unchecked")
    List<String> taken = (List<String>) run.done().get(60, TimeUnit.SECONDS);
    assertThat(taken).hasSize(2 * perTopic).doesNotHaveDuplicates();
    // Per channel, actions come out in the order they went in.
    for (String topic : List.of("A", "B")) {
      List<Integer> order = taken.stream().filter(s -> s.startsWith(topic))
          .map(s -> Integer.parseInt(s.substring(1))).toList();
      assertThat(order).isSorted();
    }
  }
}
