package io.sagaflow.bench;

import io.sagaflow.cli.DurationConverter;
import io.sagaflow.embedded.EmbeddedKafka;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench consume}: produce a scenario's data once, then run each system on it in its own JVM, one after
 * the other, against the same broker, and print each system's RESULT line plus rate and heap ratios vs raw.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {"Run a consume scenario on raw KafkaConsumer, Sagaflow, Parallel Consumer and Spring Kafka.",
        "Exit code 1 only when raw or sagaflow printed no RESULT; a peer (parallel-consumer, spring) that fails is "
            + "named at the end but leaves the exit code 0, and an unavailable one prints SKIP."})
final class ConsumeCommand implements Callable<Integer> {

  @Option(names = "--scenario", required = true, description = "noop, io, io-1p or skew")
  String scenarioName;

  @Option(
      names = "--systems",
      split = ",",
      defaultValue = "raw,sagaflow,parallel-consumer,spring",
      description = "Comma-separated systems to run (default: ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Option(names = "--records", description = "Override the scenario's record count (for quick runs)")
  Long records;

  @Option(names = "--timeout", defaultValue = "60s", converter = DurationConverter.class,
      description = "Time limit per system, like 60s or 2m (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(
      names = "--heap-measure",
      defaultValue = "used",
      description = "heap_mb is the peak of: 'used' (MemoryMXBean used heap, default) or 'after-gc' "
          + "(heap left after the last GC), sampled every 100 ms")
  String heapMeasure;

  @Option(
      names = "--child-jvm-options",
      split = " ",
      defaultValue = "-Xms256m -Xmx1g -XX:+UseG1GC --enable-native-access=ALL-UNNAMED",
      description = "JVM options of each system's child JVM (default: ${DEFAULT-VALUE})")
  List<String> childJvmOptions;

  PrintStream out = System.out;

  /** raw (the baseline of the ratios) and Sagaflow: only their failures set the exit code. */
  private final BenchOutcome outcome = new BenchOutcome(java.util.Set.of("raw", "sagaflow"));

  /** Exit code 0 when raw and sagaflow printed their RESULT lines, whatever the peers did (see {@link BenchOutcome}). */
  @Override
  public Integer call() throws Exception {
    run();
    outcome.summary().ifPresent(out::println);
    return outcome.exitCode();
  }

  /** Runs the scenario on every available requested system and returns the RESULT lines obtained. */
  List<ResultLine> run() throws Exception {
    Scenario scenario = Scenario.named(scenarioName);
    if (records != null) {
      scenario = scenario.withRecords(records);
    }
    long timeoutMillis = timeout.toMillis();
    HeapSampler.Measure.parse(heapMeasure); // fail before producing anything
    List<PeerSystem> requested = systems.stream().map(PeerSystem::named).distinct().toList();

    if (bootstrapServers != null) {
      return runAll(bootstrapServers, scenario, requested, timeoutMillis);
    }
    out.println("bench: starting an embedded Kafka broker");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      return runAll(kafka.bootstrapServers(), scenario, requested, timeoutMillis);
    }
  }

  private List<ResultLine> runAll(String bootstrap, Scenario scenario, List<PeerSystem> requested, long timeoutMillis)
      throws Exception {
    String topic = "bench-" + scenario.name() + "-" + scenario.records() + "-" + System.currentTimeMillis();
    out.printf(Locale.ROOT, "bench: producing %d records (%d partitions, %s keys) to %s%n",
        scenario.records(), scenario.partitions(), scenario.keys().name().toLowerCase(Locale.ROOT), topic);
    long produceStart = System.nanoTime();
    DataProducer.createTopic(bootstrap, topic, scenario.partitions());
    DataProducer.produce(bootstrap, topic, scenario);
    out.printf(Locale.ROOT, "bench: produced in %.1f s%n", (System.nanoTime() - produceStart) / 1e9);

    ChildLauncher launcher = new ChildLauncher(childJvmOptions, out);
    List<ResultLine> results = new ArrayList<>();
    for (PeerSystem system : requested) {
      ChildLauncher.Availability availability = ChildLauncher.availability(system);
      if (availability instanceof ChildLauncher.Unavailable(String reason)) {
        out.println("SKIP system=" + system.name() + " reason=\"" + reason + "\"");
        continue;
      }
      List<String> args = List.of(
          "--system", system.name(),
          "--bootstrap-servers", bootstrap,
          "--topic", topic,
          "--group", "bench-" + system.name() + "-" + topic,
          "--scenario", scenario.name(),
          "--timeout-ms", Long.toString(timeoutMillis),
          "--heap-measure", heapMeasure);
      out.println("bench: running " + system.name());
      Optional<ResultLine> result =
          launcher.run(system, (ChildLauncher.Available) availability, args, timeoutMillis);
      if (result.isPresent()) {
        results.add(result.get());
      } else {
        outcome.failed(system.name(), scenario.name() + " (no RESULT line)");
        out.println("FAILED system=" + system.name() + " (no RESULT line; see its output above)");
      }
    }
    printRatios(results);
    return results;
  }

  private void printRatios(List<ResultLine> results) {
    Optional<ResultLine> raw = results.stream().filter(r -> r.system().equals("raw")).findFirst();
    if (raw.isEmpty() || raw.get().rate() <= 0) {
      return;
    }
    for (ResultLine r : results) {
      out.printf(Locale.ROOT, "RATIO system=%s scenario=%s rate_vs_raw=%.2f heap_vs_raw=%.2f%n",
          r.system(), r.scenario(), r.rate() / raw.get().rate(),
          raw.get().heapMb() <= 0 ? 0.0 : (double) r.heapMb() / raw.get().heapMb());
    }
  }
}
