package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.Compensation;
import io.sagaflow.saga.CompensationOptions;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.SagaContext;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
  /**
   * Inside an all/race branch: completed once this branch has made its first claim on a channel or
   * can no longer make one before its next sibling ({@link ClaimOrder}); null for the run itself.
   */
  final CompletableFuture<Void> turn;
  /** The compensation steps of this logical thread (shared with the sagas it calls). */
  final Compensations compensations;
  private final AtomicInteger registered = new AtomicInteger();

  /**
   * The context this one's thread was started from (the caller of a called saga, the owner of a
   * branch or of compensation steps), blocked in the effect that started it; null for the run.
   */
  private final SagaContextImpl parent;
  /** Whether this thread numbers its effects; a context performing compensation steps names each. */
  private final boolean numbered;

  SagaContextImpl(SagaEngine engine, RunState run, Action<?> action, String idPrefix, UndoLog undo,
      CompletableFuture<Void> turn, Compensations compensations) {
    this(engine, run, action, idPrefix, undo, turn, compensations, null, true);
  }

  private SagaContextImpl(SagaEngine engine, RunState run, Action<?> action, String idPrefix, UndoLog undo,
      CompletableFuture<Void> turn, Compensations compensations, SagaContextImpl parent, boolean numbered) {
    this.parent = parent;
    this.numbered = numbered;
    this.engine = engine;
    this.run = run;
    this.action = action;
    this.idPrefix = idPrefix;
    this.undo = undo;
    this.turn = turn;
    this.compensations = compensations;
  }

  /** The context for a called saga: ids nest under the call's id. */
  SagaContextImpl nested(String callId) {
    return new SagaContextImpl(engine, run, action, EffectIds.inside(callId), undo, turn, compensations, this, true);
  }

  /**
   * The context of an all/race branch (or of a compensation step run in parallel), whose claim
   * turn is {@code branchTurn} and whose compensation steps go to {@code branchCompensations}.
   */
  SagaContextImpl branch(String branchId, UndoLog branchUndo, CompletableFuture<Void> branchTurn,
      Compensations branchCompensations) {
    return new SagaContextImpl(engine, run, action, EffectIds.inside(branchId), branchUndo, branchTurn,
        branchCompensations, this, true);
  }

  /** This context for performing compensation steps: same thread, but registering is refused. */
  SagaContextImpl forCompensation() {
    return new SagaContextImpl(engine, run, action, idPrefix, undo, turn, new Compensations(true), this, false);
  }

  /** The prefix of this logical thread's effect ids. */
  String idPrefix() {
    return idPrefix;
  }

  /**
   * Whether {@code journaled} (the ids a rebuilt run's journal held) records an effect that this
   * run performed after the point this thread stands at: this thread's next effect or, up the
   * chain of threads that started it, the effect following the one each is blocked in. Effects
   * are journaled in each thread's order, so the next id is enough. This is how a version marker
   * tells an old journal, written without it, from a run that reaches this point for the first
   * time ({@link VersionMarkers}).
   *
   * <p>A thread's code runs again on replay only while the effect that started it has no outcome
   * journaled (a called saga, a compensation step, whose calls are journaled once they return),
   * so the enclosing threads' checks guard against what the current engine never journals. A
   * context performing sequential compensation steps numbers nothing and is skipped: the step in
   * progress is the last one journaled (those before it returned, those after it have not run).
   */
  boolean journaledPastThisPoint(java.util.Set<String> journaled) {
    for (SagaContextImpl c = this; c != null; c = c.parent) {
      if (c.numbered && journaled.contains(EffectIds.nth(c.idPrefix, c.counter.get() + 1))) {
        return true;
      }
    }
    return false;
  }

  /** Lets the next sibling branch claim from channels ({@link ClaimOrder}); idempotent. */
  void passTurn() {
    if (turn != null) {
      turn.complete(null);
    }
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

  @Override
  public void addCompensation(Compensation step) {
    Objects.requireNonNull(step, "step");
    register(Compensations.effectOf(step));
  }

  @Override
  public void addCompensation(Effect<?> step) {
    register(Objects.requireNonNull(step, "step"));
  }

  private void register(Effect<?> step) {
    compensations.add(new Compensations.Step(EffectIds.nth(idPrefix, registered.incrementAndGet()), step));
  }

  @Override
  public void compensate() {
    compensations.runOrThrow(this, run.compensationOptions());
  }

  @Override
  public void compensate(CompensationOptions options) {
    compensations.runOrThrow(this, Objects.requireNonNull(options, "options"));
  }

  @Override
  public void clearCompensations() {
    compensations.clear();
  }

  @Override
  public void compensationOptions(CompensationOptions options) {
    run.compensationOptions(Objects.requireNonNull(options, "options"));
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

  @Override
  public int version(String changeId, int minSupported, int maxSupported) {
    SagaContext.super.version(changeId, minSupported, maxSupported); // validates
    return engine.recorder.version(changeId, minSupported, maxSupported, this);
  }

  /** Gives {@code effect} the next id of this logical thread and performs it. */
  @Override
  @SuppressWarnings("unchecked")
  public <R> R perform(Effect<R> effect) {
    return (R) engine.perform(effect, nextId(), this);
  }
}
