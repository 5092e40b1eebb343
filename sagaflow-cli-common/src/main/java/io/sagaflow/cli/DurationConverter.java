package io.sagaflow.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

import picocli.CommandLine;

/**
 * The one parser of durations given on a command line, for the {@code sagaflow} commands and the
 * benchmarks alike: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} (a whole number and a unit,
 * case-insensitive) or ISO-8601 such as {@code PT1M30S}. A number without a unit is rejected
 * rather than guessed, and so is a negative duration.
 *
 * <pre>{@code
 * @Option(names = "--interval", defaultValue = "2s", converter = DurationConverter.class)
 * Duration interval;
 * }</pre>
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  /** Used by picocli through {@code converter = DurationConverter.class}. */
  public DurationConverter() {}

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses {@code text}.
   *
   * @throws CommandLine.TypeConversionException (an {@link IllegalArgumentException}) naming the
   *     text and the accepted forms; picocli reports it as a usage error
   */
  public static Duration parse(String text) {
    Duration d = parseOrNull(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
    if (d == null || d.isNegative()) {
      throw new CommandLine.TypeConversionException("'" + text + "' is not a duration: write it like 500ms, "
          + "30s, 2m, 1h or PT1M30S (a whole number and a unit, not negative)");
    }
    return d;
  }

  private static Duration parseOrNull(String v) {
    try {
      if (v.startsWith("pt") || v.startsWith("-pt")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.length() < 2) {
        return null;
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> null;
      };
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      return null;
    }
  }
}
