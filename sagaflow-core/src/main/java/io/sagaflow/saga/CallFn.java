package io.sagaflow.saga;

/**
 * The typed functions a saga calls with {@code ctx.call(fn, a, b, ...)}, one per arity (the npm
 * package's {@code callFn(fn, [args])}). Each declares the checked exception it throws as a type
 * parameter, so a call rethrows exactly what its function throws:
 *
 * <pre>{@code
 * Receipt charge(Card card, long cents) throws PaymentDeclined { ... }
 *
 * try {
 *   Receipt r = ctx.call(this::charge, card, 1250);   // throws PaymentDeclined, not a wrapper
 * } catch (PaymentDeclined e) {
 *   ctx.put("ORDER_REJECTED", e.getMessage());
 * }
 * }</pre>
 *
 * A function that throws nothing checked infers {@code E} as {@link RuntimeException}, so the call
 * needs no try block. Users rarely name these types: lambdas and method references convert to them.
 */
public final class CallFn {
  private CallFn() {}

  /**
   * A function of no argument.
   *
   * @param <R> the result type
   * @param <E> the checked exception it throws
   */
  @FunctionalInterface
  public interface F0<R, E extends Exception> {
    /** Applies the function. */
    R apply() throws E;
  }

  /**
   * A function of one argument.
   *
   * @param <A> the argument type
   * @param <R> the result type
   * @param <E> the checked exception it throws
   */
  @FunctionalInterface
  public interface F1<A, R, E extends Exception> {
    /** Applies the function. */
    R apply(A a) throws E;
  }

  /**
   * A function of two arguments.
   *
   * @param <A> the first argument type
   * @param <B> the second argument type
   * @param <R> the result type
   * @param <E> the checked exception it throws
   */
  @FunctionalInterface
  public interface F2<A, B, R, E extends Exception> {
    /** Applies the function. */
    R apply(A a, B b) throws E;
  }

  /**
   * A function of three arguments.
   *
   * @param <A> the first argument type
   * @param <B> the second argument type
   * @param <C> the third argument type
   * @param <R> the result type
   * @param <E> the checked exception it throws
   */
  @FunctionalInterface
  public interface F3<A, B, C, R, E extends Exception> {
    /** Applies the function. */
    R apply(A a, B b, C c) throws E;
  }

  /**
   * A function of four arguments.
   *
   * @param <A> the first argument type
   * @param <B> the second argument type
   * @param <C> the third argument type
   * @param <D> the fourth argument type
   * @param <R> the result type
   * @param <E> the checked exception it throws
   */
  @FunctionalInterface
  public interface F4<A, B, C, D, R, E extends Exception> {
    /** Applies the function. */
    R apply(A a, B b, C c, D d) throws E;
  }
}
