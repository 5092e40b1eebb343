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

  /** Gives {@code effect} the next id of this logical thread and performs it. */
  @Override
  @SuppressWarnings("unchecked")
  public <R> R perform(Effect<R> effect) {
    return (R) engine.perform(effect, nextId(), this);
  }
}
