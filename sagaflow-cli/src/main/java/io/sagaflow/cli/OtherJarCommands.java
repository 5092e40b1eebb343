package io.sagaflow.cli;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code bench} and {@code chaos} live in sagaflow-bench's own jar, which carries the peer systems'
 * libraries; the {@code sagaflow} script runs that jar for them. They are listed here so that
 * {@code sagaflow --help} shows every command, and so that running them from this jar directly
 * says where they are instead of "unknown command".
 */
final class OtherJarCommands {
  private OtherJarCommands() {}

  @Command(name = "bench", description = "Benchmarks against raw Kafka and peer libraries (BENCHMARKS.md).")
  static final class Bench implements Callable<Integer> {
    @Unmatched List<String> args;

    @Override
    public Integer call() {
      throw elsewhere("bench");
    }
  }

  @Command(name = "chaos", description = "Fault scenarios whose promises must hold (RELIABILITY.md).")
  static final class Chaos implements Callable<Integer> {
    @Unmatched List<String> args;

    @Override
    public Integer call() {
      throw elsewhere("chaos");
    }
  }

  private static IllegalStateException elsewhere(String command) {
    return new IllegalStateException("`" + command + "` runs from sagaflow-bench's jar: use ./sagaflow " + command
        + " ... in the repository (it builds that jar), or java -jar sagaflow-bench/target/sagaflow-bench.jar "
        + (command.equals("bench") ? "" : "chaos ") + "...");
  }
}
