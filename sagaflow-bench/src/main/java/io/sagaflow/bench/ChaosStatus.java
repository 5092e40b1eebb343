package io.sagaflow.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code STATUS t=.. state=.. assigned=.. health=.. error=..} line of {@link ChaosChildMain}.
 *
 * @param atMillis when the child took it (epoch ms; same machine, same clock)
 * @param state {@code ProcessorStatus.State}
 * @param health the recovery handler's health, {@code -} without one
 * @param error {@code ProcessorStatus.lastError()} on one line, {@code -} when empty
 */
record ChaosStatus(long atMillis, String state, String health, String error) {

  static List<ChaosStatus> parseAll(List<String> lines) {
    List<ChaosStatus> out = new ArrayList<>();
    for (String l : lines) {
      if (l.startsWith("STATUS ")) {
        out.add(parse(l));
      }
    }
    return out;
  }

  static ChaosStatus parse(String line) {
    String t = field(line, "t=");
    return new ChaosStatus(Long.parseLong(t), field(line, "state="), field(line, "health="),
        line.substring(line.indexOf(" error=") + " error=".length()));
  }

  private static String field(String line, String name) {
    int i = line.indexOf(" " + name);
    if (i < 0) {
      throw new IllegalArgumentException("no " + name + " in: " + line);
    }
    int from = i + 1 + name.length();
    int to = line.indexOf(' ', from);
    return line.substring(from, to < 0 ? line.length() : to);
  }
}
