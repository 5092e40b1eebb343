package io.sagaflow.recovery;

import java.util.Objects;

/**
 * Selects dead letters. Both criteria are optional; a letter matches when it meets every one set.
 *
 * @param exception substring of the exception class name ({@code kafka_dlt-exception-fqcn} or its
 *     key variant): a fully qualified name or a simple name such as {@code TimeoutException}
 * @param key the exact key, as UTF-8 text
 */
public record DeadLetterFilter(String exception, String key) {

  /** Matches every dead letter. */
  public static DeadLetterFilter all() {
    return new DeadLetterFilter(null, null);
  }

  /**
   * Parses the CLI form {@code exception=<fqcn or substring>} or {@code key=<exact key>}; {@code
   * null} or blank means {@link #all()}. Several criteria can be joined with {@code ,}.
   */
  public static DeadLetterFilter parse(String spec) {
    DeadLetterFilter filter = all();
    if (spec == null || spec.isBlank()) {
      return filter;
    }
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      String name = eq < 0 ? part.trim() : part.substring(0, eq).trim();
      String value = eq < 0 ? "" : part.substring(eq + 1);
      switch (name) {
        case "exception" -> filter = filter.withException(value);
        case "key" -> filter = filter.withKey(value);
        default -> throw new IllegalArgumentException("filter \"" + part
            + "\" is not understood: use exception=<class name or part of it> or key=<exact key>");
      }
    }
    return filter;
  }

  public DeadLetterFilter withException(String exception) {
    return new DeadLetterFilter(Objects.requireNonNull(exception, "exception"), key);
  }

  public DeadLetterFilter withKey(String key) {
    return new DeadLetterFilter(exception, Objects.requireNonNull(key, "key"));
  }

  /** Whether {@code letter} meets every criterion set. */
  public boolean matches(DeadLetter letter) {
    if (exception != null) {
      String fqcn = letter.info().exceptionClass();
      if (fqcn == null || !fqcn.contains(exception)) {
        return false;
      }
    }
    return key == null || key.equals(letter.keyAsString());
  }
}
