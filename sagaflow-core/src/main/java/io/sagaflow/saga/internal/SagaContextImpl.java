package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.SagaContext;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;

/**
 * A saga's view of its run for one logical thread: shared run state plus the effect-id prefix and
 * counter of that thread and, inside a race, the undo log of its branch.
 */
final class SagaContextImpl implements SagaContext {
  final SagaEngine engine;
  final RunState run;
  private final Action<?> action;
  private final String idPrefix;
  private final AtomicInteger counter = new AtomicInteger();
  final UndoLog undo;

  SagaContextImpl(SagaEngine engine, RunState run, Action<?> action, String idPrefix, UndoLog undo) {
    this.engine = engine;
    this.run = run;
    this.action = action;
    this.idPrefix = idPrefix;
    this.undo = undo;
  }

  /** The context for a called saga: ids nest under the call's id. */
  SagaContextImpl nested(String callId) {
    return new SagaContextImpl(engine, run, action, EffectIds.inside(callId), undo);
  }

  /** The context of an all/race branch. */
  SagaContextImpl branch(String branchId, UndoLog branchUndo) {
    return new SagaContextImpl(engine, run, action, EffectIds.inside(branchId), branchUndo);
  }

  /** The id of this thread's next effect. */
  String nextId() {
    return EffectIds.nth(idPrefix, counter.incrementAndGet());
  }

  @Override
  public String transactionId() {
    return action.transactionId();
  }

  @Override
  public Action<?> action() {
    return action;
  }

  @Override
  public Logger logger() {
    return run.logger;
  }

  @Override
  public Optional<ConsumerRecord<byte[], byte[]>> record() {
    return Optional.ofNullable(run.record);
  }

  @Override
  public Object userContext() {
    return run.userContext;
  }

  /** The call effect running on a thread: its run and id, for {@link #idempotencyKey()}. */
  private record CurrentCall(RunState run, String id) {}

  private static final ThreadLocal<CurrentCall> CURRENT_CALL = new ThreadLocal<>();

  /** Marks the current thread as running the call {@code id} of {@code run}; returns what to restore. */
  static Object enterCall(RunState run, String id) {
    CurrentCall outer = CURRENT_CALL.get();
    CURRENT_CALL.set(new CurrentCall(run, id));
    return outer;
  }

  /** Ends what {@link #enterCall} started, restoring {@code outer} (a call this one is nested in). */
  static void exitCall(Object outer) {
    if (outer == null) {
      CURRENT_CALL.remove();
    } else {
      CURRENT_CALL.set((CurrentCall) outer);
    }
  }

  @Override
  public String idempotencyKey() {
    CurrentCall c = CURRENT_CALL.get();
    if (c == null || c.run() != run) {
      throw new IllegalStateException("idempotencyKey() names the call in progress: call it inside the function"
          + " that ctx.call(...) runs, on the thread that runs it (before handing work to another thread), not"
          + " elsewhere in the saga");
    }
    return engine.recorder.runKey(this) + "/" + c.id();
  }

  /** Gives {@code effect} the next id of this logical thread and performs it. */
  @Override
  @SuppressWarnings("unchecked")
  public <R> R perform(Effect<R> effect) {
    return (R) engine.perform(effect, nextId(), this);
  }
}
