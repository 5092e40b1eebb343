package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.Take;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code race} effect: the first branch to finish wins; the others stop, their takes consume
 * nothing (an action they got goes back to its channel) and their delays are unset.
 *
 * <p>Design: two strategies with those semantics, chosen per race by {@link #race}.
 *
 * <ul>
 *   <li><b>Without branch threads</b> ({@link #raceWithoutThreads}), when every branch is a take or
 *       a delay and nothing can observe branch threads. Takes and delays are futures underneath
 *       (a buffer taker, a timer entry), so the racing thread starts them all and waits until one
 *       has an outcome; branches ready at once win in order. This is the common
 *       {@code race(take(reply), delay(timeout))} of request/reply sagas, and it costs no thread
 *       starts, interrupts, joins or exceptions: saturated CPU per saga fell from 0.41 to 0.31 ms
 *       (BENCHMARKS.md, "Races of takes and delays run without branch threads").
 *   <li><b>With branch threads</b> ({@link ForkJoin#race}) otherwise. A branch that is a call, a
 *       put, an all or another race blocks in ways only a thread of its own can, and middleware,
 *       a recording {@link EffectRecorder} (a journal) and an {@link Activity} observer (the
 *       tester) see each branch's effect as the effect of a logical thread of its own, passing the
 *       whole chain under its branch id. Those observers are fixed per engine, so the choice is
 *       made once ({@link #threadlessAllowed}) plus a look at the branches.
 * </ul>
 *
 * Why not one strategy: branch threads for every race cost a quarter of a request/reply saga's
 * CPU, and no threads for every race would hide branches from middleware (a middleware's
 * {@code intercept} blocks until its branch is done, so each needs a thread) and from a journal.
 * The threaded strategy is the general one; the other is an optimisation with the same outcome
 * wherever nobody can tell them apart. Tests run races both ways ({@code SagaEngineTest},
 * {@code RaceStressTest}).
 */
final class Races {
  private final boolean threadlessAllowed;
  private final Channels channels;
  private final Timer timer;
  private final Activity activity;

  /**
   * @param threadlessAllowed whether nothing observes branch threads: no middleware, the
   *     pass-through recorder and no activity observer
   */
  Races(boolean threadlessAllowed, Channels channels, Timer timer, Activity activity) {
    this.threadlessAllowed = threadlessAllowed;
    this.channels = channels;
    this.timer = timer;
    this.activity = activity;
  }

  /** Performs {@code race}, whose id is {@code id}. */
  Object race(Race race, String id, SagaContextImpl ctx) throws Exception {
    if (threadlessAllowed && takesAndDelaysOnly(race)) {
      return raceWithoutThreads(race, ctx);
    }
    return ForkJoin.race(race, id, ctx, activity);
  }

  private static boolean takesAndDelaysOnly(Race race) {
    for (Effect<?> e : race.effects().values()) {
      if (!(e instanceof Delay<?>)
          && !(e instanceof Take<?> t && (t.channel() == null || t.channel() instanceof ActionChannelImpl<?>))) {
        return false;
      }
    }
    return true;
  }

  /** One branch of a race without threads: a pending take or a pending delay. */
  private static final class Pending {
    final int index;
    ActionChannelImpl<?> channel;
    boolean ownsChannel;
    CompletableFuture<? extends Action<?>> take;
    Timer.Scheduled timer;
    volatile boolean fired;
    Delay<?> delay;
    RuntimeException openFailure;

    Pending(int index) {
      this.index = index;
    }

    /** Whether this branch has an outcome (an action, a channel failure, a fired delay). */
    boolean ready() {
      if (openFailure != null) {
        return true;
      }
      if (delay != null) {
        return fired;
      }
      return (take != null && take.isDone()) || channel.failure.isDone();
    }

    /** Gives up on this branch: a take that completed meanwhile returns its action to the channel. */
    void stop() {
      if (timer != null) {
        timer.cancel();
      }
      if (take != null) {
        Channels.giveBackAny(channel, take);
      }
      if (ownsChannel) {
        channel.close();
      }
    }
  }

  /** A race of takes and delays on the calling thread: see the design note. */
  private Object raceWithoutThreads(Race race, SagaContextImpl ctx) throws Exception {
    int n = race.effects().size();
    Pending[] branches = new Pending[n];
    String[] keys = new String[n];
    CompletableFuture<Void> signal = new CompletableFuture<>();
    Pending winner = null;
    int started = 0;
    try {
      for (Map.Entry<String, Effect<?>> e : race.effects().entrySet()) {
        Pending b = new Pending(started);
        keys[started] = e.getKey();
        branches[started++] = b;
        start(b, e.getValue(), signal, ctx);
        if (b.ready()) {
          winner = b;
          break;
        }
      }
    } catch (RuntimeException | Error x) {
      for (int i = 0; i < started; i++) {
        branches[i].stop();
      }
      throw x;
    } finally {
      ctx.passTurn(); // every take has claimed, in declaration order (ClaimOrder)
    }
    if (winner == null) {
      try {
        signal.get();
      } catch (InterruptedException x) {
        for (int i = 0; i < started; i++) {
          branches[i].stop();
        }
        throw Waiter.cancelled(race.describe());
      }
      for (int i = 0; i < started && winner == null; i++) {
        if (branches[i].ready()) {
          winner = branches[i];
        }
      }
      if (winner == null) {
        throw new IllegalStateException("unreachable: a race signalled without a ready branch");
      }
    }
    for (int i = 0; i < started; i++) {
      if (branches[i] != winner) {
        branches[i].stop();
      }
    }
    return new RaceResult(keys[winner.index], winner.index, outcome(winner, ctx));
  }

  /** Starts one branch of a race without threads; {@code signal} completes when it gets an outcome. */
  private void start(Pending b, Effect<?> effect, CompletableFuture<Void> signal, SagaContextImpl ctx) {
    if (effect instanceof Delay<?> delay) {
      b.delay = delay;
      if (delay.duration().isZero()) {
        b.fired = true;
      } else {
        b.timer = timer.schedule(delay.duration(), () -> {
          b.fired = true;
          signal.complete(null);
        });
      }
      return;
    }
    Take<?> take = (Take<?>) effect;
    if (take.channel() != null) {
      b.channel = (ActionChannelImpl<?>) take.channel();
    } else {
      try {
        b.channel = channels.openForTake(take.pattern(), ctx);
        b.ownsChannel = true;
      } catch (RuntimeException x) {
        b.openFailure = x; // like a branch whose take threw at once
        return;
      }
    }
    if (!b.channel.failure.isDone()) {
      b.take = b.channel.buffer.takeAsync();
      if (!b.take.isDone()) {
        // anyOf, not a callback on each: once the take completes (or is cancelled when the race
        // ends), the relay left on the channel's failure future is dead and removed from it, so
        // racing over a long-lived channel in a loop does not pile up callbacks on it.
        CompletableFuture.anyOf(b.take, b.channel.failure).whenComplete((v, x) -> signal.complete(null));
      }
    }
  }

  /** The result of the winning branch of a race without threads, or its failure thrown. */
  private static Object outcome(Pending w, SagaContextImpl ctx) {
    if (w.openFailure != null) {
      throw w.openFailure;
    }
    if (w.delay != null) {
      return w.delay.value();
    }
    try {
      if (w.take != null && w.take.isDone()) {
        Action<?> action = w.take.join();
        if (!w.ownsChannel && ctx.undo != null) {
          ActionChannelImpl<?> channel = w.channel;
          ctx.undo.add(() -> Channels.pushBack(channel, action));
        }
        return action;
      }
      if (w.take != null) {
        Channels.giveBackAny(w.channel, w.take);
      }
      throw Channels.failureOf(w.channel);
    } finally {
      if (w.ownsChannel) {
        w.channel.close();
      }
    }
  }
}
