package io.sagaflow.saga;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The function behind a {@link Call}. Built by {@link Effects#call} and friends; implement it
 * directly only for unusual cases.
 *
 * @param <R> the result type
 */
@FunctionalInterface
public interface Callee<R> {

  /**
   * Starts the call. A plain function runs here and returns a completed stage; an asynchronous one
   * returns its pending stage, which the interpreter awaits (and cancels when the call is
   * cancelled).
   *
   * @param args the call's arguments
   * @param ctx a context for effects the callee performs (a called saga's effects use it)
   * @return the result stage
   * @throws Exception anything; it is thrown into the saga
   */
  CompletionStage<R> invoke(List<Object> args, SagaContext ctx) throws Exception;
}
