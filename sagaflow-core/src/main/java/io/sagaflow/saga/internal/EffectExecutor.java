package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannelOpen;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.saga.All;
import io.sagaflow.saga.Call;
import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Now;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.SagaMetrics;
import io.sagaflow.saga.Take;
import io.sagaflow.saga.Uuid;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * Executes effects: the end of the middleware chain, and the one place where every effect (put,
 * take, actionChannel, call, all, race, delay, now, uuid) is executed.
 *
 * <p>Design: an effect arrives in {@link #execute} with its deterministic id ({@link EffectIds})
 * as it left the middleware, and passes the {@link EffectRecorder} on its way to the part that
 * executes its kind. The recorder is where a durable journal goes: record each result under its id
 * and, on replay, return the recorded result without executing. The branches of an all or a race
 * come through here too, each as an effect of its own under its branch id: only a race without
 * branch threads ({@link Races}) executes its branches inside the race, and it is used only with
 * the pass-through recorder, so a journal sees every branch.
 *
 * <ul>
 *   <li>put: publish with the transaction id and the triggering headers (a tracing publisher then
 *       replaces their {@code traceparent} with the put's own span), wait for the ack;
 *   <li>actionChannel, take: {@link Channels};
 *   <li>call: invoke on this thread, wait for an asynchronous result;
 *   <li>all: {@link ForkJoin}; race: {@link Races};
 *   <li>delay: {@link Waiter#delay} on the injected {@link Timer}; now: the timer's clock;
 *   <li>uuid: a random UUID (a journal makes it deterministic on replay by recording it).
 * </ul>
 */
final class EffectExecutor {
  private final EffectRecorder recorder;
  private final ActionPublisher publisher;
  private final Timer timer;
  private final Activity activity;
  private final Waiter waiter;
  private final Channels channels;
  private final Races races;
  private final SagaMetrics metrics;

  EffectExecutor(EffectRecorder recorder, ActionPublisher publisher, Timer timer, Activity activity, Waiter waiter,
      Channels channels, Races races, SagaMetrics metrics) {
    this.metrics = metrics;
    this.recorder = recorder;
    this.publisher = publisher;
    this.timer = timer;
    this.activity = activity;
    this.waiter = waiter;
    this.channels = channels;
    this.races = races;
  }

  /** Executes {@code effect}, whose id is {@code id}, through the recorder. */
  Object execute(Effect<?> effect, String id, SagaContextImpl ctx) throws Exception {
    if (recorder == EffectRecorder.PASS_THROUGH) {
      return dispatch(effect, id, ctx); // what PASS_THROUGH does, without a lambda per effect
    }
    return recorder.record(id, effect, ctx, () -> dispatch(effect, id, ctx));
  }

  private Object dispatch(Effect<?> effect, String id, SagaContextImpl ctx) throws Exception {
    ClaimOrder.beforeDispatch(effect, ctx);
    return switch (effect) {
      case Put put -> put(put, ctx);
      case ActionChannelOpen<?> open -> channels.open(open, ctx);
      case Take<?> take -> channels.take(take, ctx);
      case Call<?> call -> call(call, id, ctx);
      case All all -> ForkJoin.all(all, id, ctx, activity);
      case Race race -> races.race(race, id, ctx);
      case Delay<?> delay -> waiter.delay(delay);
      case Now now -> timer.now();
      case Uuid uuid -> UUID.randomUUID();
    };
  }

  private Object put(Put put, SagaContextImpl ctx) throws Exception {
    Map<String, byte[]> headers = new LinkedHashMap<>(ctx.headers());
    headers.putAll(put.headers());
    Action<Object> action = new Action<>(put.topic(), ctx.transactionId(), put.payload(), headers);
    if (metrics == SagaMetrics.none()) {
      waiter.await(publisher.publish(action), false, put);
      return null;
    }
    long t0 = System.nanoTime();
    boolean failed = true;
    try {
      waiter.await(publisher.publish(action), false, put);
      failed = false;
    } finally {
      metrics.put(put.topic(), System.nanoTime() - t0, failed);
    }
    return null;
  }

  private Object call(Call<?> call, String id, SagaContextImpl ctx) throws Exception {
    CompletionStage<?> stage;
    Object outer = SagaContextImpl.enterCall(ctx.run, id);
    try {
      stage = call.callee().invoke(call.args(), ctx.nested(id));
    } finally {
      SagaContextImpl.exitCall(outer);
    }
    if (stage == null) {
      throw new IllegalStateException("the callee of " + call.describe() + " returned a null stage");
    }
    return waiter.await(stage.toCompletableFuture(), false, call);
  }
}
