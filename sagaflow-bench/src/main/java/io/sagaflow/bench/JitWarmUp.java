package io.sagaflow.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Runs an unmeasured load in rounds until this JVM's JIT is quiet: under 100 ms of compilation per
 * second of load in each of two consecutive rounds, after at least {@code minSeconds}, at most
 * {@code maxSeconds}. A measurement taken while C2 still compiles the code it exercises measures
 * the compiler as much as the code; with the embedded broker in this JVM, that includes the broker.
 */
final class JitWarmUp {
  /** Compilation per second of load under which a round counts as quiet. */
  static final long QUIET_MILLIS_PER_SECOND = 100;

  /** One round of load. */
  @FunctionalInterface
  interface Round {
    void run() throws Exception;
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

  /** Runs {@code round} until the JIT is quiet, or without measuring it where the JVM cannot. */
  static Result run(int minSeconds, int maxSeconds, Round round) throws Exception {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    long start = System.nanoTime();
    long lastCompile = timed ? jit.getTotalCompilationTime() : 0;
    long lastRound = start;
    int quiet = 0;
    int rounds = 0;
    while (seconds(start) < maxSeconds && (seconds(start) < minSeconds || quiet < 2 || !timed)) {
      round.run();
      rounds++;
      if (timed) {
        long compile = jit.getTotalCompilationTime();
        long now = System.nanoTime();
        double roundSeconds = Math.max(0.001, (now - lastRound) / 1e9);
        quiet = (compile - lastCompile) / roundSeconds < QUIET_MILLIS_PER_SECOND ? quiet + 1 : 0;
        lastCompile = compile;
        lastRound = now;
      }
    }
    return new Result(seconds(start), rounds, timed, quiet >= 2);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
