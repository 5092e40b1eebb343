package io.sagaflow.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sagaflow chaos <scenario>}: the Sagaflow Processor under faults, measured from outside.
 *
 * <p>Each scenario runs the processor in child JVMs ({@link ChaosChildMain}) against an embedded
 * Kafka cluster, injects its faults, checks the output with an independent {@code read_committed}
 * reader, and prints one line per processing mode
 * {@code RESULT system=sagaflow scenario=<name> records=<n> kills=<k> lost=<l> duplicates=<d>
 * reordered=<r> max_stall_s=<s> ...}, then a {@code PROMISE held:} or {@code PROMISE BROKEN:} line
 * for each promise. It exits 0 only when every promise held, 1 otherwise.
 *
 * <p>{@code max_stall_s} is the longest time the group's committed offsets did not advance while
 * input remained to be processed (see {@link ChaosMonitor}). {@code --short} runs a scenario in well
 * under a minute, for the test suite. RELIABILITY.md at the repository root lists the promises and
 * the measured results.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    subcommands = {ChaosKillScenario.EosKill.class, ChaosKillScenario.AlosKill.class, ChaosRebalanceStorm.class,
        ChaosDltOutage.class, ChaosBrokerOutage.class, ChaosUnreachable.class, ChaosSagas.class},
    description = "Fault scenarios with promises: exit 0 only when the promise holds.")
final class ChaosCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs {@code chaos <args>} and returns its exit code (for tests). */
  static int execute(String... args) {
    return new CommandLine(new ChaosCommand()).execute(args);
  }
}
