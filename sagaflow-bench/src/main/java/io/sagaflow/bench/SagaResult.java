package io.sagaflow.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One measured scenario of {@code bench saga}, printed as
 * {@code RESULT system=sagaflow scenario=saga-roundtrip-saturated sagas=20000 seconds=2.74 rate=7305 p50_ms=116.73
 * p99_ms=472.20}, plus {@code failed=N} when sagas failed and {@code setting=..} for a peer's setting.
 *
 * @param sagas   sagas that got their reply
 * @param seconds from the first start to the last completion
 * @param failed  sagas that failed (timed out); their time to fail is in the percentiles
 * @param setting the peer's setting, or null (Sagaflow's lines carry none)
 */
record SagaResult(String system, String scenario, long sagas, double seconds, double p50Ms, double p99Ms,
    long failed, String setting) {

  double rate() {
    return seconds <= 0 ? 0 : sagas / seconds;
  }

  String format() {
    return String.format(Locale.ROOT,
        "RESULT system=%s scenario=%s sagas=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f%s%s",
        system, scenario, sagas, seconds, rate(), p50Ms, p99Ms, failed == 0 ? "" : " failed=" + failed,
        setting == null ? "" : " setting=" + setting);
  }

  /**
   * A {@code STATS scenario=.. sagas=.. failed=.. seconds=.. p50_ms=.. p99_ms=..} line of the Node requester
   * ({@code kafka-sagas/saga-bench.js}) as a result of {@code system} at {@code setting}.
   */
  static SagaResult fromStats(String line, String system, String setting) {
    if (!line.startsWith("STATS ")) {
      throw new IllegalArgumentException("not a STATS line: " + line);
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : line.substring("STATS ".length()).trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("malformed field '" + part + "' in: " + line);
      }
      fields.put(part.substring(0, eq), part.substring(eq + 1));
    }
    try {
      return new SagaResult(system, field(fields, "scenario", line), Long.parseLong(field(fields, "sagas", line)),
          Double.parseDouble(field(fields, "seconds", line)), Double.parseDouble(field(fields, "p50_ms", line)),
          Double.parseDouble(field(fields, "p99_ms", line)), Long.parseLong(field(fields, "failed", line)), setting);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed number in: " + line, e);
    }
  }

  private static String field(Map<String, String> fields, String name, String line) {
    String value = fields.get(name);
    if (value == null) {
      throw new IllegalArgumentException("field '" + name + "' missing in: " + line);
    }
    return value;
  }
}
