package io.sagaflow.saga.internal;

import io.sagaflow.saga.All;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.RaceResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.MDC;

/**
 * Fork/join of logical saga threads: the branches of one {@code all}, or of a {@code race} that
 * needs branch threads (see {@link Races}), each performing its effect on a virtual thread of its
 * own, through the whole middleware chain, under its branch id ({@link EffectIds#branches}).
 *
 * <p>Design: finished branches queue up for the forking thread. {@link #joinAll} waits for every
 * branch; the first to fail stops the others (interrupt, then join) and its failure is thrown.
 * {@link #joinFirst} takes the first branch to finish as the winner, stops the others and undoes
 * their takes. A branch's takes are logged in an {@link UndoLog} of its own where a race may need
 * to undo them (this race, or a race the fork sits in); the logs of the branches that count move
 * to the forking thread's log. Cancelling the forking thread stops every branch. A finishing
 * branch wakes its waiting parent before it ends, so an {@link Activity} never sees a moment where
 * neither runs.
 */
final class ForkJoin {
  private final List<Branch> branches = new ArrayList<>();
  private final LinkedBlockingQueue<Branch> finished = new LinkedBlockingQueue<>();
  private final SagaContextImpl ctx;
  private final Activity activity;
  private final String what;
  private boolean parentWaiting;

  /** One branch: its thread and, once finished, its result or failure. */
  private static final class Branch {
    final String key;
    final int index;
    final UndoLog undo;
    Thread thread;
    volatile Object result;
    volatile Throwable error;

    Branch(String key, int index, UndoLog undo) {
      this.key = key;
      this.index = index;
      this.undo = undo;
    }

    void undoMoveTo(UndoLog parent) {
      if (undo != null) {
        undo.moveTo(parent);
      }
    }
  }

  /** The {@code all} effect with id {@code id}: every branch's result, keyed or in order. */
  static Object all(All all, String id, SagaContextImpl ctx, Activity activity) throws Exception {
    ForkJoin fork = new ForkJoin(all.effects(), id, ctx, false, activity);
    fork.joinAll();
    if (all.keyed()) {
      Map<String, Object> results = new LinkedHashMap<>();
      for (Branch b : fork.branches) {
        results.put(b.key, b.result);
      }
      return results;
    }
    List<Object> results = new ArrayList<>();
    for (Branch b : fork.branches) {
      results.add(b.result);
    }
    return results;
  }

  /** The {@code race} effect with id {@code id}, one thread per branch. */
  static RaceResult race(Race race, String id, SagaContextImpl ctx, Activity activity) throws Exception {
    ForkJoin fork = new ForkJoin(race.effects(), id, ctx, true, activity);
    Branch winner = fork.joinFirst();
    return new RaceResult(winner.key, winner.index, winner.result);
  }

  /** Forks: starts one thread per effect. */
  private ForkJoin(Map<String, Effect<?>> effects, String forkId, SagaContextImpl ctx, boolean race,
      Activity activity) {
    this.ctx = ctx;
    this.activity = activity;
    this.what = (race ? "race" : "all") + effects.keySet();
    String prefix = EffectIds.branches(forkId, race);
    int i = 0;
    for (Map.Entry<String, Effect<?>> e : effects.entrySet()) {
      // Takes are undoable only where a race may need to undo them.
      UndoLog undo = race || ctx.undo != null ? new UndoLog() : null;
      Branch b = new Branch(e.getKey(), i++, undo);
      String branchId = prefix + e.getKey();
      SagaContextImpl branchCtx = ctx.branch(branchId, undo);
      Effect<?> effect = e.getValue();
      branches.add(b);
      activity.threadStarted();
      b.thread = Thread.ofVirtual().name("saga-" + ctx.transactionId() + "-" + branchId).unstarted(() -> {
        MDC.put(SagaEngine.MDC_TRANSACTION_ID, ctx.transactionId());
        try {
          b.result = ctx.engine.perform(effect, branchId, branchCtx);
        } catch (Throwable t) {
          b.error = t;
        } finally {
          finish(b);
        }
      });
    }
    branches.forEach(b -> b.thread.start());
  }

  private void joinAll() throws Exception {
    int done = 0;
    while (done < branches.size()) {
      Branch b = next();
      done++;
      if (b.error != null) {
        stopOthers(b);
        branches.forEach(x -> x.undoMoveTo(ctx.undo));
        throw Waiter.rethrow(b.error);
      }
    }
    branches.forEach(x -> x.undoMoveTo(ctx.undo));
  }

  private Branch joinFirst() throws Exception {
    Branch winner = next();
    stopOthers(winner);
    for (Branch b : branches) {
      if (b != winner && b.undo != null) {
        b.undo.undo();
      }
    }
    winner.undoMoveTo(ctx.undo);
    if (winner.error != null) {
      throw Waiter.rethrow(winner.error);
    }
    return winner;
  }

  private void finish(Branch b) {
    synchronized (this) {
      finished.add(b);
      if (parentWaiting) {
        parentWaiting = false;
        activity.unblocked(true, what);
      }
    }
    activity.threadEnded();
  }

  private Branch next() throws Exception {
    synchronized (this) {
      if (finished.isEmpty()) {
        parentWaiting = true;
        activity.blocked(true, what);
      }
    }
    try {
      return finished.take();
    } catch (InterruptedException e) {
      stopOthers(null);
      branches.forEach(x -> x.undoMoveTo(ctx.undo));
      throw Waiter.cancelled(what);
    } finally {
      synchronized (this) {
        if (parentWaiting) {
          parentWaiting = false;
          activity.unblocked(true, what);
        }
      }
    }
  }

  /** Interrupts every branch but {@code keep} and waits for them to end. */
  private void stopOthers(Branch keep) {
    for (Branch b : branches) {
      if (b != keep) {
        b.thread.interrupt();
      }
    }
    boolean interrupted = false;
    for (Branch b : branches) {
      while (b != keep) {
        try {
          b.thread.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
