package io.sagaflow.saga;

import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Calls a function, an asynchronous function (its {@code CompletableFuture} is awaited) or another
 * saga (its effects pass the same middleware, its return value comes back, its exception is thrown
 * into the caller). A call cancelled by a {@link Race} is interrupted.
 *
 * @param name a stable name for logs, middleware and {@code SagaTester} stubs
 * @param args the arguments (visible to middleware), never null
 * @param callee the function
 * @param <R> the result type
 */
public record Call<R>(String name, List<Object> args, Callee<R> callee) implements Effect<R> {

  /** Validates and copies the arguments (which may contain nulls). */
  public Call {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(callee, "callee");
    args = args == null ? List.of() : Collections.unmodifiableList(new java.util.ArrayList<>(args));
  }

  @Override
  public String describe() {
    return "call(" + name + ")";
  }
}
