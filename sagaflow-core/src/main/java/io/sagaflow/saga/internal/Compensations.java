package io.sagaflow.saga.internal;

import io.sagaflow.saga.Call;
import io.sagaflow.saga.Compensation;
import io.sagaflow.saga.CompensationException;
import io.sagaflow.saga.CompensationOptions;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.SagaCancelledException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The compensation steps registered by one logical saga thread (the run, or an all/race branch),
 * and how they run.
 *
 * <p>Design: a step is kept as an {@link Effect} under a <em>key</em>, the registering context's
 * id prefix plus its registration number ({@code "2"}, {@code "4/all/a/1"}), which depends only on
 * the saga's code, like an effect id. Registration performs nothing and is not an effect: a replay
 * of the saga's code registers the same steps under the same keys. Running the steps of a list
 * (on failure, {@link SagaContextImpl#compensate}, or for a race's losers) is the {@code n}th
 * compensation of the context that owns the list; each step is performed through the normal
 * effect path ({@link SagaEngine#perform}: middleware, then {@link EffectExecutor} and its
 * {@link EffectRecorder}) under the id {@code <owner prefix>compensate/<n>/<key>} (the key without
 * the owner's prefix: {@code "compensate/1/2"}, {@code "4/race/b/compensate/1/1"}), and the effects
 * of a {@link Compensation} lambda nest under that id. So a journal records each step that ran,
 * and a run rebuilt after a crash in the middle of compensating replays its code up to the same
 * failure (journaled), starts the same compensation, gets the recorded results of the steps that
 * had finished without performing them again, and resumes at the first step without a record.
 * This needs the journal to record failures as well as results, as it must for any effect.
 *
 * <p>Steps run in reverse order of registration, one at a time, stopping at the first failure
 * unless {@link CompensationOptions#continueOnFailure()}; with {@link CompensationOptions#parallel()}
 * all at once on branch threads ({@link ForkJoin#settle}), each to its end. Cancellation stops
 * sequential steps at once.
 */
final class Compensations {
  /** One registered step. */
  record Step(String key, Effect<?> effect) {}

  private final List<Step> steps = new ArrayList<>();
  private final boolean closed;
  private int runs;

  /** @param closed whether registering is refused: the list of a compensation step's context */
  Compensations(boolean closed) {
    this.closed = closed;
  }

  /** A lambda step as the effect that performs it: a call named {@code compensate}. */
  static Effect<?> effectOf(Compensation step) {
    return new Call<Void>("compensate", List.of(), (args, ctx) -> {
      step.run(ctx);
      return CompletableFuture.completedFuture(null);
    });
  }

  synchronized void add(Step step) {
    if (closed) {
      throw new IllegalStateException("a compensation step cannot register compensation steps; register them "
          + "in the saga before the effect they undo");
    }
    steps.add(step);
  }

  synchronized void clear() {
    steps.clear();
  }

  /** Appends this list's steps to {@code parent}'s, in order, and empties this one. */
  void moveTo(Compensations parent) {
    List<Step> moved = drain();
    if (!moved.isEmpty()) {
      synchronized (parent) {
        parent.steps.addAll(moved);
      }
    }
  }

  /** Removes and returns the registered steps, in order of registration. */
  synchronized List<Step> drain() {
    List<Step> all = new ArrayList<>(steps);
    steps.clear();
    return all;
  }

  /** Whether no step is registered. */
  synchronized boolean isEmpty() {
    return steps.isEmpty();
  }

  private synchronized int nextRun() {
    return ++runs;
  }

  /** What running the steps did: how many were registered, how many ran, and their failures. */
  record Outcome(int registered, int ran, List<Throwable> failures) {}

  /**
   * Runs and clears this list's steps as {@code ctx}, the context that owns the list; failures
   * come in the order the steps ran (parallel: reverse registration order).
   */
  Outcome run(SagaContextImpl ctx, CompensationOptions options) {
    List<Step> todo = drain();
    if (todo.isEmpty()) {
      return new Outcome(0, 0, List.of());
    }
    String prefix = EffectIds.compensation(ctx.idPrefix(), nextRun());
    ctx.run.compensating(true);
    try {
      List<Throwable> failures = new ArrayList<>();
      if (options.parallel()) {
        Map<String, Effect<?>> byKey = new LinkedHashMap<>();
        for (int i = todo.size() - 1; i >= 0; i--) {
          byKey.put(relative(todo.get(i).key(), ctx), todo.get(i).effect());
        }
        failures.addAll(ForkJoin.settle(byKey, prefix, ctx));
        return new Outcome(todo.size(), todo.size(), failures);
      }
      SagaContextImpl stepCtx = ctx.forCompensation();
      int ran = 0;
      for (int i = todo.size() - 1; i >= 0; i--) {
        Step step = todo.get(i);
        ran++;
        try {
          ctx.engine.perform(step.effect(), prefix + relative(step.key(), ctx), stepCtx);
        } catch (RuntimeException | Error e) {
          failures.add(e);
          if (e instanceof SagaCancelledException || !options.continueOnFailure()) {
            break;
          }
        }
      }
      return new Outcome(todo.size(), ran, failures);
    } finally {
      ctx.run.compensating(false);
    }
  }

  /**
   * A step's key without the owner's id prefix, which every key in the owner's list starts with
   * (steps come from the owner, the sagas it called and its branches), so keys stay unique.
   */
  private static String relative(String key, SagaContextImpl owner) {
    String prefix = owner.idPrefix();
    return key.startsWith(prefix) ? key.substring(prefix.length()) : key;
  }

  /** Runs the steps on request: throws a {@link CompensationException} if one failed. */
  void runOrThrow(SagaContextImpl ctx, CompensationOptions options) {
    List<Throwable> failures = run(ctx, options).failures();
    if (!failures.isEmpty()) {
      throw withFailures(new CompensationException(failures.size() + " compensation step(s) failed, the first with: "
          + failures.get(0), failures.get(0)), failures);
    }
  }

  /**
   * Compensates after the run's failure {@code failure}: runs the steps, then adds each step's
   * failure and a {@link CompensationException} summing up to {@code failure}'s suppressed
   * exceptions. Does nothing when no step is registered.
   */
  void runAfter(Throwable failure, SagaContextImpl ctx, CompensationOptions options) {
    Outcome o = run(ctx, options);
    if (o.registered() == 0) {
      return;
    }
    o.failures().forEach(failure::addSuppressed);
    failure.addSuppressed(new CompensationException("the saga was compensated after its failure: " + o.ran()
        + " of " + o.registered() + " step(s) ran, " + (o.failures().isEmpty() ? "all succeeded"
        : o.failures().size() + " failed"), null));
  }

  private static <T extends Throwable> T withFailures(T e, List<Throwable> failures) {
    failures.forEach(e::addSuppressed);
    return e;
  }
}
