package io.sagaflow.saga;

/**
 * Wraps a checked exception so it can be thrown from {@link SagaContext} methods: one thrown by a
 * middleware, by a called saga, or by a call performed inside an {@code all} or a {@code race}.
 * {@link #getCause()} is that exception, as it was thrown. Unchecked exceptions are never wrapped,
 * and a function called with {@code ctx.call(fn, ...)} has its own checked exception thrown
 * unwrapped (see {@link CallFn}).
 *
 * <pre>{@code
 * try {
 *   ctx.all(Branch.of("pay", Effects.call(payments::charge, card, cents)), slot);
 * } catch (SagaException e) {
 *   if (e.getCause() instanceof PaymentDeclined declined) { ... }
 * }
 * }</pre>
 */
public class SagaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message and cause. */
  public SagaException(String message, Throwable cause) {
    super(message, cause);
  }
}
