package io.sagaflow.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The one line a system's child JVM prints:
 * {@code RESULT system=raw scenario=noop records=1000000 seconds=4.210 rate=237529 p99_ms=12 heap_mb=143}.
 *
 * @param p99Millis handler-to-commit p99, empty when the system's commits cannot be observed (printed {@code -})
 */
record ResultLine(
    String system, String scenario, long records, double seconds, OptionalLong p99Millis, long heapMb) {

  static final String PREFIX = "RESULT ";

  double rate() {
    return seconds <= 0 ? 0 : records / seconds;
  }

  String format() {
    return String.format(
        Locale.ROOT,
        "RESULT system=%s scenario=%s records=%d seconds=%.3f rate=%.0f p99_ms=%s heap_mb=%d",
        system,
        scenario,
        records,
        seconds,
        rate(),
        p99Millis.isPresent() ? Long.toString(p99Millis.getAsLong()) : "-",
        heapMb);
  }

  static boolean isResult(String line) {
    return line.startsWith(PREFIX);
  }

  static ResultLine parse(String line) {
    if (!isResult(line)) {
      throw new IllegalArgumentException("not a RESULT line: " + line);
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : line.substring(PREFIX.length()).trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("malformed field '" + part + "' in: " + line);
      }
      fields.put(part.substring(0, eq), part.substring(eq + 1));
    }
    try {
      String p99 = require(fields, "p99_ms", line);
      return new ResultLine(
          require(fields, "system", line),
          require(fields, "scenario", line),
          Long.parseLong(require(fields, "records", line)),
          Double.parseDouble(require(fields, "seconds", line)),
          p99.equals("-") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(p99)),
          Long.parseLong(require(fields, "heap_mb", line)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed number in: " + line, e);
    }
  }

  private static String require(Map<String, String> fields, String name, String line) {
    String value = fields.get(name);
    if (value == null) {
      throw new IllegalArgumentException("field '" + name + "' missing in: " + line);
    }
    return value;
  }
}
