package io.sagaflow.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code STATUS t=.. state=.. assigned=.. (other fields) health=.. error=..} line of {@link ChaosChildMain}.
 *
 * @param atMillis when the child took it (epoch ms; same machine, same clock)
 * @param state {@code ProcessorStatus.State}
 * @param health the recovery handler's health, {@code -} without one
 * @param error {@code ProcessorStatus.lastError()} on one line, {@code -} when empty
 */
record ChaosStatus(long atMillis, String state, String health, String error) {
  private static final Pattern LINE =
      Pattern.compile("^STATUS t=(\\d+) state=(\\S+) assigned=\\S+(?: \\w+=\\S+)*? health=(\\S+) error=(.*)$");

  /** The status lines among {@code lines}; others (logging, possibly interleaved) are skipped. */
  static List<ChaosStatus> parseAll(List<String> lines) {
    List<ChaosStatus> out = new ArrayList<>();
    for (String l : lines) {
      ChaosStatus s = parse(l);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  /** The status of a line, or null if it is not a whole status line. */
  static ChaosStatus parse(String line) {
    Matcher m = LINE.matcher(line);
    return m.matches() ? new ChaosStatus(Long.parseLong(m.group(1)), m.group(2), m.group(3), m.group(4)) : null;
  }
}
