package io.sagaflow.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a chaos scenario measured and which of its promises held. Prints
 * {@code RESULT system=sagaflow scenario=<name> records=.. kills=.. lost=.. duplicates=.. reordered=..
 * max_stall_s=.. <scenario fields>}, then one {@code PROMISE held:} or {@code PROMISE BROKEN:} line
 * per promise; the exit code is 0 only when every promise held.
 */
final class ChaosOutcome {
  private final Map<String, String> fields = new LinkedHashMap<>();
  private final List<String> promises = new ArrayList<>();
  private boolean broken;

  ChaosOutcome(String scenario) {
    fields.put("system", "sagaflow");
    fields.put("scenario", scenario);
    for (String f : List.of("records", "kills", "lost", "duplicates", "reordered", "max_stall_s")) {
      fields.put(f, "-");
    }
  }

  /** Sets a field; doubles print with one decimal, {@code null} as {@code -}. */
  ChaosOutcome put(String name, Object value) {
    String v;
    if (value == null) {
      v = "-";
    } else if (value instanceof Double d) {
      v = String.format(Locale.ROOT, "%.1f", d);
    } else {
      v = value.toString().replace(' ', '_');
    }
    fields.put(name, v);
    return this;
  }

  /** Records whether a promise held, with the evidence for a broken one. */
  ChaosOutcome promise(boolean held, String promise, String evidence) {
    if (held) {
      promises.add("PROMISE held: " + promise);
    } else {
      broken = true;
      promises.add("PROMISE BROKEN: " + promise + " -- " + evidence);
    }
    return this;
  }

  boolean held() {
    return !broken;
  }

  String resultLine() {
    StringBuilder b = new StringBuilder("RESULT");
    fields.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    return b.toString();
  }

  /** Prints the RESULT line and the promises; returns the exit code. */
  int print(PrintStream out) {
    out.println(resultLine());
    promises.forEach(out::println);
    out.flush();
    return broken ? 1 : 0;
  }
}
