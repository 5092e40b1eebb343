package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.ReturningSaga;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The durability seam: every effect result passes one recorder, keyed by a deterministic id. */
class EffectRecorderTest {

  /**
   * A minimal journal, so the engine's side of the seam can be checked: it records results on the
   * first run and returns them on replay without executing. What is under test is the engine
   * (ids, and effects skipped when the recorder does not execute), not this class.
   */
  static final class ReplayingRecorder implements EffectRecorder {
    final Map<String, Object> results = new ConcurrentHashMap<>();
    final Map<String, String> kinds = new ConcurrentHashMap<>();
    volatile boolean replaying;

    @Override
    public Object record(String id, Effect<?> effect, io.sagaflow.saga.SagaContext ctx, Execution execution)
        throws Exception {
      if (replaying && results.containsKey(id)) {
        return results.get(id) == NULL ? null : results.get(id);
      }
      Object result = execution.execute();
      results.put(id, result == null ? NULL : result);
      kinds.put(id, effect.describe());
      return result;
    }

    static final Object NULL = new Object();
  }

  private static Object run(SagaEngine engine, ReturningSaga<Object, Object> saga) throws Exception {
    try {
      return engine.startReturning(saga, Action.of("BEGIN", "tx", null), null, null).done().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void aReplayReturnsRecordedResultsWithoutSideEffects() throws Exception {
    LoopbackBus bus = new LoopbackBus();
    ReplayingRecorder journal = new ReplayingRecorder();
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, new ManualTimer(), journal, ActionCodec.create(), 16,
        Activity.NONE);
    int[] calls = {0};
    ReturningSaga<Object, Object> saga = (action, ctx) -> {
      ctx.put("A", null);
      int n = ctx.call("count", () -> ++calls[0]);
      List<Object> both = ctx.all(List.of(Effects.call("x", () -> "x" + n), Effects.delay(Duration.ZERO, "d")));
      return n + "/" + both;
    };
    assertThat(run(engine, saga)).isEqualTo("1/[x1, d]");
    assertThat(journal.kinds).containsKeys("1", "2", "3", "3/all/0", "3/all/1");

    journal.replaying = true;
    assertThat(run(engine, saga)).isEqualTo("1/[x1, d]");
    assertThat(calls[0]).as("the call was not executed again").isEqualTo(1);
    assertThat(bus.published()).as("the put was not written again").hasSize(1);
  }

  /**
   * What a journal needs to detect non-determinism: a rerun of the same saga shows the recorder the
   * same (id, effect) sequence, and a saga that performs another effect shows a different effect
   * under the same id.
   */
  @Test
  void aRerunShowsTheSameIdsAndEffectsAndAChangedEffectShowsUnderItsId() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    EffectRecorder recorder = (id, effect, ctx, execution) -> {
      seen.add(id + "=" + effect.describe());
      return execution.execute();
    };
    LoopbackBus bus = new LoopbackBus();
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, new ManualTimer(), recorder, ActionCodec.create(), 16,
        Activity.NONE);
    ReturningSaga<Object, Object> saga = (action, ctx) -> {
      ctx.put("A", null);
      return ctx.call("c", () -> "r");
    };
    run(engine, saga);
    List<String> first = List.copyOf(seen);
    seen.clear();
    run(engine, saga);
    List<String> rerun = List.copyOf(seen);
    seen.clear();
    run(engine, (action, ctx) -> {
      ctx.put("B", null);
      return ctx.call("c", () -> "r");
    });
    List<String> changed = List.copyOf(seen);

    assertThat(first).hasSize(2);
    assertThat(rerun).isEqualTo(first);
    assertThat(changed.get(0)).startsWith("1=").isNotEqualTo(first.get(0));
    assertThat(changed.get(1)).isEqualTo(first.get(1));
  }
}
