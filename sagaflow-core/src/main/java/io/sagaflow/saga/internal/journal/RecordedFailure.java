package io.sagaflow.saga.internal.journal;

import java.lang.reflect.Constructor;
import java.util.Objects;

/**
 * The exception an effect threw, as journaled: its class name, message and (a few levels of) cause.
 * A replay throws {@link #rebuild() an exception rebuilt from it}.
 *
 * @param type the exception's class name
 * @param message its message, may be null
 * @param cause its cause, or null
 */
public record RecordedFailure(String type, String message, RecordedFailure cause) {
  /** How many causes deep a failure is recorded; deeper ones are dropped. */
  public static final int MAX_CAUSES = 3;

  /** Checks the type. */
  public RecordedFailure {
    Objects.requireNonNull(type, "type");
  }

  /** {@code t} as recorded, with up to {@link #MAX_CAUSES} causes. */
  public static RecordedFailure of(Throwable t) {
    return of(t, 0);
  }

  private static RecordedFailure of(Throwable t, int depth) {
    Throwable cause = t.getCause();
    RecordedFailure c = cause != null && cause != t && depth < MAX_CAUSES ? of(cause, depth + 1) : null;
    return new RecordedFailure(t.getClass().getName(), t.getMessage(), c);
  }

  /**
   * The exception to throw on replay: an instance of the recorded class built with its
   * {@code (String, Throwable)}, {@code (String)} or no-argument constructor, or, when the class
   * cannot be loaded, is not an {@link Exception} or has none of those public constructors, a
   * {@link SagaReplayedException} naming it. Only {@link Throwable} subclasses are ever
   * instantiated, and their static initializers do not run before that check.
   */
  public Exception rebuild() {
    Throwable cause = this.cause == null ? null : this.cause.rebuild();
    Exception rebuilt = instantiate(cause);
    return rebuilt != null ? rebuilt : new SagaReplayedException(type, message, cause);
  }

  /** {@code k}, made accessible where it can be (a public constructor of a class that is not public). */
  private static Constructor<?> accessible(Constructor<?> k) {
    k.trySetAccessible();
    return k;
  }

  private Exception instantiate(Throwable cause) {
    Class<?> c;
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      c = Class.forName(type, false, loader != null ? loader : RecordedFailure.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
    if (!Exception.class.isAssignableFrom(c)) {
      return null;
    }
    try {
      try {
        return (Exception) accessible(c.getConstructor(String.class, Throwable.class)).newInstance(message, cause);
      } catch (NoSuchMethodException e) {
        // next form
      }
      Exception e;
      try {
        e = (Exception) accessible(c.getConstructor(String.class)).newInstance(message);
      } catch (NoSuchMethodException x) {
        if (message != null) {
          return null; // the message would be lost: a SagaReplayedException keeps it
        }
        e = (Exception) accessible(c.getConstructor()).newInstance();
      }
      if (cause != null && e.getCause() == null) {
        e.initCause(cause);
      }
      return e;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return null;
    }
  }
}
