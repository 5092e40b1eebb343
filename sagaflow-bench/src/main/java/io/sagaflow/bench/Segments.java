package io.sagaflow.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Durations of named segments, recorded from many threads and summarized as {@code BREAKDOWN}
 * lines (percentiles in milliseconds): where the time of a saga goes, for {@code --breakdown}.
 */
final class Segments {
  private final Map<String, long[]> values = new LinkedHashMap<>();
  private final Map<String, Integer> sizes = new LinkedHashMap<>();
  /** The segments that count something (printed as they are) rather than take nanoseconds (printed in ms). */
  private final Set<String> counts = new HashSet<>();

  /** Records one duration of {@code segment}, in nanoseconds. */
  synchronized void add(String segment, long nanos) {
    record(segment, nanos);
  }

  /** Records one value of {@code measure}, a count (for example the records of a transaction). */
  synchronized void count(String measure, long value) {
    counts.add(measure);
    record(measure, value);
  }

  private void record(String segment, long value) {
    long[] v = values.computeIfAbsent(segment, s -> new long[1024]);
    int n = sizes.getOrDefault(segment, 0);
    if (n == v.length) {
      v = Arrays.copyOf(v, n * 2);
      values.put(segment, v);
    }
    v[n] = value;
    sizes.put(segment, n + 1);
  }

  /** One {@code BREAKDOWN} line per segment, in the order first recorded; then forgets them all. */
  synchronized List<String> drain() {
    List<String> lines = new ArrayList<>();
    values.forEach((segment, v) -> {
      long[] sorted = Arrays.copyOf(v, sizes.get(segment));
      Arrays.sort(sorted);
      double scale = counts.contains(segment) ? 1 : 1e6;
      String unit = counts.contains(segment) ? "" : "_ms";
      lines.add(String.format(Locale.ROOT, "BREAKDOWN %s n=%d p50%s=%.2f p90%s=%.2f p99%s=%.2f max%s=%.2f",
          segment, sorted.length, unit, percentile(sorted, 0.5) / scale, unit, percentile(sorted, 0.9) / scale,
          unit, percentile(sorted, 0.99) / scale, unit, sorted.length == 0 ? 0 : sorted[sorted.length - 1] / scale));
    });
    values.clear();
    sizes.clear();
    counts.clear();
    return lines;
  }

  private static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }
}
