package io.sagaflow.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Sagaflow's benchmark harness.
 *
 * <pre>{@code
 * java -jar sagaflow-bench/target/sagaflow-bench.jar consume --scenario noop --records 100000
 * java -jar sagaflow-bench/target/sagaflow-bench.jar consume --scenario io --systems raw,spring \
 *     --bootstrap-servers localhost:9092 --timeout 60s
 * }</pre>
 *
 * <p>Each system runs in its own child JVM and prints one line
 * {@code RESULT system=.. scenario=.. records=.. seconds=.. rate=.. p99_ms=.. heap_mb=..}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    subcommands = {ConsumeCommand.class, SagaBenchCommand.class, StartupBenchCommand.class, EosBenchCommand.class,
        RecoveryBenchCommand.class, DurableBenchCommand.class, ChaosCommand.class},
    description = "Side-by-side consumer benchmarks against one Kafka broker.")
public final class BenchMain implements Runnable {

  private BenchMain() {}

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (for the {@code sagaflow} launcher and tests). */
  public static int execute(String... args) {
    return new CommandLine(new BenchMain()).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
