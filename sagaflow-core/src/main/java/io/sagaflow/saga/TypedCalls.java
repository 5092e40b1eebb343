package io.sagaflow.saga;

import io.sagaflow.saga.internal.ReplayedFailures;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Performs a typed call ({@link SagaContext#call(CallFn.F1, Object)} and friends) so that a checked
 * exception thrown by the function reaches the saga as it was thrown.
 *
 * <p>Design: the effect path ({@link SagaContext#perform}) throws only unchecked exceptions, so a
 * checked one comes out wrapped in a {@link SagaException}. The call's callee remembers, by
 * identity, every checked exception its function threw; when the wrapped cause is one of them it
 * is rethrown as it is. It is then an {@code E}: the function declares {@code throws E}, so the
 * unchecked cast cannot lie. A checked exception from anywhere else (a middleware, a journal) is
 * not an {@code E} by any guarantee and stays wrapped. The call still passes the middleware and the
 * executor as a {@link Call} effect, so its effect id and journaling are those of any call. A
 * durable replay of a call that threw rebuilds the journaled exception; it is unwrapped too
 * ({@link ReplayedFailures}).
 */
final class TypedCalls {
  private TypedCalls() {}

  /** The function applied to its arguments. */
  @FunctionalInterface
  interface Body<R, E extends Exception> {
    R run() throws E;
  }

  /** Performs the call of {@code body} named {@code name} with {@code args}. */
  static <R, E extends Exception> R perform(SagaContext ctx, String name, List<Object> args, Body<R, E> body)
      throws E {
    Set<Exception> thrown = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    Call<R> call = new Call<>(name, args, (a, c) -> {
      try {
        return CompletableFuture.completedFuture(body.run());
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        thrown.add(e);
        throw e;
      }
    });
    try {
      return ctx.perform(call);
    } catch (SagaException e) {
      // A durable replay throws the function's journaled exception rebuilt, not the identical one.
      if (e.getCause() instanceof Exception cause && (thrown.contains(cause) || ReplayedFailures.consume(cause))) {
        throw TypedCalls.<E>asDeclared(cause);
      }
      throw e;
    } finally {
      ReplayedFailures.consume(null);
    }
  }

  /** A call effect of {@code body}, for all and race (a checked exception comes wrapped). */
  static <R> Call<R> effect(String name, List<Object> args, Body<R, ?> body) {
    return new Call<>(name, args, (a, c) -> CompletableFuture.completedFuture(body.run()));
  }

  /** The arguments as a list that may hold nulls. */
  static List<Object> args(Object... args) {
    List<Object> list = new ArrayList<>(args.length);
    Collections.addAll(list, args);
    return list;
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E asDeclared(Exception e) {
    return (E) e;
  }
}
