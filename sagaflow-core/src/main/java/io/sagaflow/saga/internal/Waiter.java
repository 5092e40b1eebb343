package io.sagaflow.saga.internal;

import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.SagaCancelledException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Blocks a saga thread on a future (a put's acknowledgement, a call's asynchronous result, a
 * delay's timer) and turns interruption, which is how sagas are cancelled, into
 * {@link SagaCancelledException} after cancelling what it waited for.
 *
 * <p>A wait that has to block is reported to the {@link Activity}, so a test driver can tell when
 * every saga thread waits on something only it can deliver; a future already complete blocks
 * nothing and reports nothing.
 */
final class Waiter {
  private final Activity activity;
  private final Timer timer;

  Waiter(Activity activity, Timer timer) {
    this.activity = activity;
    this.timer = timer;
  }

  /** Waits for the delay's timer; returns the delay's value. */
  Object delay(Delay<?> delay) throws Exception {
    await(timer.after(delay.duration()), true, delay);
    return delay.value();
  }

  /**
   * Waits for {@code future} on behalf of {@code effect}.
   *
   * @param controlled whether a test driver completes it (see {@link Activity#blocked})
   */
  <T> T await(CompletableFuture<T> future, boolean controlled, Effect<?> effect) throws Exception {
    if (!future.isDone()) {
      String what = described(effect);
      activity.blocked(controlled, what);
      try {
        return future.get();
      } catch (InterruptedException e) {
        future.cancel(true);
        throw cancelled(effect.describe());
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      } finally {
        activity.unblocked(controlled, what);
      }
    }
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  /** {@code effect.describe()} for the activity observer; null (not built) when there is none. */
  String described(Effect<?> effect) {
    return activity == Activity.NONE ? null : effect.describe();
  }

  /** The exception to throw for a failure {@code t} seen in a future: unwrapped; errors thrown as they are. */
  static Exception rethrow(Throwable t) {
    if (t instanceof Error err) {
      throw err;
    }
    if (t instanceof CompletionException && t.getCause() != null) {
      return rethrow(t.getCause());
    }
    return (Exception) t;
  }

  /**
   * The exception a wait interrupted while performing {@code what} throws; restores the interrupt
   * so that later waits of the same cancelled thread end at once.
   */
  static SagaCancelledException cancelled(String what) {
    Thread.currentThread().interrupt();
    return new SagaCancelledException("cancelled while performing " + what);
  }
}
