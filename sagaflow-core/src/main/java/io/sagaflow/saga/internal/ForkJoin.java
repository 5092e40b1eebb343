package io.sagaflow.saga.internal;

import io.sagaflow.saga.All;
import io.sagaflow.saga.CompensationException;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.RaceResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.MDC;

/**
 * Fork/join of logical saga threads: the branches of one {@code all}, or of a {@code race} that
 * needs branch threads (see {@link Races}), each performing its effect on a virtual thread of its
 * own, through the whole middleware chain, under its branch id ({@link EffectIds#branches}); and
 * compensation steps run in parallel ({@link #settle}).
 *
 * <p>Design: finished branches queue up for the forking thread. {@link #joinAll} waits for every
 * branch; the first to fail stops the others (interrupt, then join) and its failure is thrown.
 * {@link #joinFirst} takes the first branch to finish as the winner, stops the others and undoes
 * their takes. A branch's takes are logged in an {@link UndoLog} of its own where a race may need
 * to undo them (this race, or a race the fork sits in); the logs of the branches that count move
 * to the forking thread's log. Cancelling the forking thread stops every branch. A finishing
 * branch wakes its waiting parent before it ends, so an {@link Activity} never sees a moment where
 * neither runs. Branches start in declaration order, each once the previous one passed its claim
 * turn ({@link ClaimOrder}); the fork passes the forking thread's turn when its last branch passed
 * its own.
 *
 * <p>Compensation steps ({@link Compensations}) registered in a branch go to a list of the
 * branch's own. When an {@code all} ends, however it ends, every branch's list joins the forking
 * thread's list in declaration order: what a branch did, even one cancelled because a sibling
 * failed, happened and may need undoing. When a race ends, the winner's list joins; each loser's
 * steps run at once (losers in reverse declaration order), because the saga goes on as if the
 * loser had not run, just as a loser's takes are given back. Their failures are thrown from the
 * race in a {@link CompensationException} (added to the winner's failure if it failed). A cancelled
 * race (the forking thread interrupted) keeps every branch's list, like an {@code all}.
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
    final SagaContextImpl ctx;
    Thread thread;
    volatile Object result;
    volatile Throwable error;

    Branch(String key, int index, UndoLog undo, SagaContextImpl ctx) {
      this.key = key;
      this.index = index;
      this.undo = undo;
      this.ctx = ctx;
    }

    void undoMoveTo(UndoLog parent) {
      if (undo != null) {
        undo.moveTo(parent);
      }
    }
  }

  /** The {@code all} effect with id {@code id}: every branch's result, keyed or in order. */
  static Object all(All all, String id, SagaContextImpl ctx, Activity activity) throws Exception {
    ForkJoin fork = new ForkJoin(all.effects(), EffectIds.branches(id, false), ctx, false, false, activity);
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
    ForkJoin fork = new ForkJoin(race.effects(), EffectIds.branches(id, true), ctx, true, false, activity);
    Branch winner = fork.joinFirst();
    return new RaceResult(winner.key, winner.index, winner.result);
  }

  /**
   * Performs compensation steps, keyed by step key, all at once under ids {@code idPrefix + key},
   * waits for every one to end and returns their failures in declaration order. Cancelling the
   * calling thread cancels the steps.
   */
  static List<Throwable> settle(Map<String, Effect<?>> steps, String idPrefix, SagaContextImpl ctx) {
    ForkJoin fork = new ForkJoin(steps, idPrefix, ctx, false, true, ctx.engine.activity());
    boolean interrupted = false;
    for (int done = 0; done < fork.branches.size(); ) {
      try {
        fork.nextOrInterrupted();
        done++;
      } catch (InterruptedException e) {
        interrupted = true;
        fork.branches.forEach(b -> b.thread.interrupt());
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    List<Throwable> failures = new ArrayList<>();
    for (Branch b : fork.branches) {
      if (b.error != null) {
        failures.add(b.error);
      }
    }
    return failures;
  }

  /** Forks: starts one thread per effect, each running once the previous one passed its turn. */
  private ForkJoin(Map<String, Effect<?>> effects, String idPrefix, SagaContextImpl ctx, boolean race,
      boolean steps, Activity activity) {
    this.ctx = ctx;
    this.activity = activity;
    this.what = (steps ? "compensate" : race ? "race" : "all") + effects.keySet();
    int i = 0;
    CompletableFuture<Void> previous = null;
    for (Map.Entry<String, Effect<?>> e : effects.entrySet()) {
      // Takes are undoable only where a race may need to undo them.
      UndoLog undo = !steps && (race || ctx.undo != null) ? new UndoLog() : null;
      String branchId = idPrefix + e.getKey();
      CompletableFuture<Void> turn = new CompletableFuture<>();
      SagaContextImpl branchCtx = ctx.branch(branchId, undo, turn, new Compensations(steps));
      Branch b = new Branch(e.getKey(), i++, undo, branchCtx);
      Effect<?> effect = e.getValue();
      CompletableFuture<Void> before = previous;
      branches.add(b);
      activity.threadStarted();
      b.thread = Thread.ofVirtual().name("saga-" + ctx.transactionId() + "-" + branchId).unstarted(() -> {
        MDC.put(SagaEngine.MDC_TRANSACTION_ID, ctx.transactionId());
        try {
          ClaimOrder.awaitTurn(before);
          b.result = ctx.engine.perform(effect, branchId, branchCtx);
        } catch (InterruptedException x) {
          b.error = Waiter.cancelled(effect.describe());
        } catch (Throwable t) {
          b.error = t;
        } finally {
          turn.complete(null);
          finish(b);
        }
      });
      previous = turn;
    }
    if (previous == null) {
      ctx.passTurn();
    } else {
      previous.whenComplete((v, x) -> ctx.passTurn());
    }
    branches.forEach(b -> b.thread.start());
  }

  /** What every branch registered joins the forking thread's list, in declaration order. */
  private void adoptAll() {
    for (Branch b : branches) {
      b.undoMoveTo(ctx.undo);
      b.ctx.compensations.moveTo(ctx.compensations);
    }
  }

  private void joinAll() throws Exception {
    int done = 0;
    while (done < branches.size()) {
      Branch b = next();
      done++;
      if (b.error != null) {
        stopOthers(b);
        adoptAll();
        throw Waiter.rethrow(b.error);
      }
    }
    adoptAll();
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
    winner.ctx.compensations.moveTo(ctx.compensations);
    List<Throwable> failures = new ArrayList<>();
    for (int i = branches.size() - 1; i >= 0; i--) {
      Branch loser = branches.get(i);
      if (loser != winner) {
        failures.addAll(loser.ctx.compensations.run(loser.ctx, ctx.run.compensationOptions()).failures());
      }
    }
    if (winner.error != null) {
      failures.forEach(winner.error::addSuppressed);
      throw Waiter.rethrow(winner.error);
    }
    if (!failures.isEmpty()) {
      CompensationException e = new CompensationException("compensating the losers of " + what + " failed: "
          + failures.get(0), failures.get(0));
      failures.forEach(e::addSuppressed);
      throw e;
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
    try {
      return nextOrInterrupted();
    } catch (InterruptedException e) {
      stopOthers(null);
      adoptAll();
      throw Waiter.cancelled(what);
    }
  }

  /** The next branch to finish; waits for it. */
  private Branch nextOrInterrupted() throws InterruptedException {
    synchronized (this) {
      if (finished.isEmpty()) {
        parentWaiting = true;
        activity.blocked(true, what);
      }
    }
    try {
      return finished.take();
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
