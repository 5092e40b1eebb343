package io.sagaflow.saga.internal;

import io.sagaflow.saga.All;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.Take;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Makes the branches of an {@code all} or a {@code race} claim actions from a shared channel in
 * declaration order: in {@code all(take(ch), take(ch))} the first branch gets the first action, the
 * second the second, on every run. kafka-sagas hands them out that way, and a durable journal
 * needs every run of the same saga code to do the same.
 *
 * <p>Design: branches still run concurrently, but each starts only once the one declared before it
 * has passed its <em>turn</em>, a future in its context ({@link SagaContextImpl#turn}). A branch
 * passes its turn at the first point after which its claims no longer depend on being first:
 *
 * <ul>
 *   <li>a take from a channel passes it once it has claimed (the buffer's {@code takeAsync} has
 *       given it the head or queued it as a taker, and takers are served in arrival order), before
 *       it waits;
 *   <li>any other effect but an all or a race passes it when it starts executing (a put, a call, a
 *       delay: what follows may wait on the outside world, which would stall later branches);
 *   <li>an all or a race with branch threads passes it when its own last branch has passed its turn
 *       (so nested forks claim depth-first in declaration order); a race without branch threads
 *       ({@link Races}) when it has started all its takes, which it does in order;
 *   <li>a branch passes it when it ends, whatever it did (e.g. a middleware stubbed its effect).
 * </ul>
 *
 * Threads start at once and wait for the previous turn, so the cost is a short serial start, not
 * lost concurrency: a branch waits only while its earlier siblings run code that does not wait. A
 * middleware that blocks before {@code proceed()} inside a branch holds back the later branches
 * until it proceeds. Which branch wins a race is still decided by which finishes first.
 */
final class ClaimOrder {
  private ClaimOrder() {}

  /** Passes {@code ctx}'s turn before {@code effect} executes, unless the effect passes it itself. */
  static void beforeDispatch(Effect<?> effect, SagaContextImpl ctx) {
    if (ctx.turn == null || ctx.turn.isDone()) {
      return;
    }
    boolean passesLater = effect instanceof All || effect instanceof Race
        || (effect instanceof Take<?> take && take.channel() != null);
    if (!passesLater) {
      ctx.passTurn();
    }
  }

  /** Waits until the branch declared before this one passed its turn ({@code previous} null: none). */
  static void awaitTurn(CompletableFuture<Void> previous) throws InterruptedException {
    if (previous == null || previous.isDone()) {
      return;
    }
    try {
      previous.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: turns never fail", e);
    }
  }
}
