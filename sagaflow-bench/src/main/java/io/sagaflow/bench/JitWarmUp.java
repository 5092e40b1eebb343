package io.sagaflow.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Runs an unmeasured load in rounds until the JIT is quiet: under 100 ms of compilation per second
 * of load, in each JVM watched, in each of two consecutive rounds; after at least {@code
 * minSeconds}, at most {@code maxSeconds}. A measurement taken while C2 still compiles the code it
 * exercises measures the compiler as much as the code; with the embedded broker in this JVM, that
 * includes the broker.
 */
final class JitWarmUp {
  /** Compilation per second of load under which a round counts as quiet. */
  static final long QUIET_MILLIS_PER_SECOND = 100;

  /** One round of load; false ends the warm-up early (the system cannot finish a round). */
  @FunctionalInterface
  interface Round {
    boolean run() throws Exception;
  }

  /** A JVM's JIT compilation so far, in milliseconds, or a negative number where it does not tell. */
  @FunctionalInterface
  interface CompileClock {
    long millis() throws Exception;
  }

  /** How a warm-up went: its length, its rounds, and whether the JIT was quiet at its end. */
  record Result(double seconds, int rounds, boolean timed, boolean quiet) {
    /** For a log line: e.g. {@code 42 s, 12 rounds, JIT quiet}. */
    String describe() {
      return String.format(Locale.ROOT, "%.0f s, %d rounds%s", seconds, rounds,
          !timed ? "" : quiet ? ", JIT quiet" : ", JIT still compiling");
    }
  }

  private JitWarmUp() {}

  /** This JVM's JIT compilation so far, in milliseconds (-1 where the JVM does not tell). */
  static long thisJvmMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
  }

  /** This JVM's {@link #thisJvmMillis}. */
  static CompileClock thisJvm() {
    return JitWarmUp::thisJvmMillis;
  }

  /** Runs {@code round} until this JVM's JIT is quiet. */
  static Result run(int minSeconds, int maxSeconds, Round round) throws Exception {
    return run(minSeconds, maxSeconds, List.of(thisJvm()), round);
  }

  /**
   * Runs {@code round} until the JIT of every JVM in {@code clocks} is quiet; where one does not
   * tell, until {@code maxSeconds}.
   */
  static Result run(int minSeconds, int maxSeconds, List<CompileClock> clocks, Round round) throws Exception {
    long[] last = new long[clocks.size()];
    boolean timed = true;
    for (int i = 0; i < last.length; i++) {
      last[i] = clocks.get(i).millis();
      timed &= last[i] >= 0;
    }
    long start = System.nanoTime();
    long lastRound = start;
    int quiet = 0;
    int rounds = 0;
    boolean goOn = true;
    while (goOn && seconds(start) < maxSeconds && (seconds(start) < minSeconds || quiet < 2 || !timed)) {
      goOn = round.run();
      rounds++;
      if (timed) {
        long now = System.nanoTime();
        double roundSeconds = Math.max(0.001, (now - lastRound) / 1e9);
        lastRound = now;
        boolean all = true;
        for (int i = 0; i < last.length; i++) {
          long compile = clocks.get(i).millis();
          all &= (compile - last[i]) / roundSeconds < QUIET_MILLIS_PER_SECOND;
          last[i] = compile;
        }
        quiet = all ? quiet + 1 : 0;
      }
    }
    return new Result(seconds(start), rounds, timed, timed && quiet >= 2);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
