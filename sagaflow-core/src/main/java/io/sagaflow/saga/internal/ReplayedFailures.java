package io.sagaflow.saga.internal;

/**
 * The failure a journal replayed for a call effect on this thread, so that a typed call
 * ({@code ctx.call(fn, ...)}) throws a replayed checked exception as its function's own, unwrapped,
 * as it did when the function threw it: the call effect path wraps checked exceptions, and a typed
 * call unwraps only those it knows came from its function. The replayed exception is rebuilt from
 * the class the function threw under the same effect id, kind and call name.
 */
public final class ReplayedFailures {
  private static final ThreadLocal<Throwable> LAST = new ThreadLocal<>();

  private ReplayedFailures() {}

  /** {@code failure} is about to be thrown on this thread as a call's replayed failure. */
  static void mark(Throwable failure) {
    LAST.set(failure);
  }

  /** Whether {@code t} is the failure last replayed for a call on this thread; forgets it either way. */
  public static boolean consume(Throwable t) {
    Throwable last = LAST.get();
    LAST.remove();
    return t != null && last == t;
  }
}
