package io.sagaflow.bench;

import io.sagaflow.bench.DurableLoad.Measured;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Durable three-step sagas against plain ones, in the same run: each saga, started by a record on
 * an input topic, puts a request, takes the reply, puts a second request, takes its reply, and puts
 * an output. An echo participant (a plain saga consumer in this JVM, as if another service)
 * answers the requests. The saga consumer under test runs in a child JVM of its own
 * ({@link DurableBenchChild}); this JVM produces the inputs and reads the outputs
 * ({@code read_committed}), so a saga's latency runs from its input's scheduled send to its output
 * becoming visible: start to completion, as a user sees it.
 *
 * <p>First the broker warms up ({@code --broker-warm-up-seconds}): durable sagas on topics of their own until
 * this JVM's JIT, which compiles the embedded broker's code too, is quiet, so that no system pays the broker's
 * warm-up for the others. Scenarios per system: a warm-up ({@code --warm-up-seconds}: rounds of saturated
 * sagas until the JIT is quiet), then {@code durable-3step-saturated} (all inputs sent at
 * once; rate = sagas over the time to the last output), then {@code durable-3step-<rate>} (inputs
 * paced, latency from each input's scheduled time, so no coordinated omission). For the durable
 * system, {@code durable-waiting}: N sagas each waiting on a take, the child's heap after a full GC,
 * taken once they are all evicted ({@code --evict-idle-after}, 5 s here; {@code 0s} measures them
 * resident) or the timeout passed; then, with eviction, {@code durable-waiting-restore}: the child
 * closes, a new one restores them, and the time until all are back (evicted) and its heap are taken.
 *
 * <p>The peer {@code restate} ({@link RestatePeer}) runs the same saga as Restate services behind a Restate
 * server that consumes the same input topic; the same inputs and the same output reader measure it. Where
 * the server cannot be installed or started, it prints {@code SKIP system=restate reason="…"} instead.
 *
 * <p>Failures ({@link #scenarios}, {@link BenchOutcome}): a scenario that leaves sagas unfinished prints its
 * RESULT with {@code missing=}, one that cannot finish (a process died, an exception) a {@code FAILED} line,
 * and the run goes on with the next scenario and system. The exit code is 1 only when one of Sagaflow's
 * own systems failed.
 */
@Command(name = "durable", mixinStandardHelpOptions = true,
    description = {"Durable three-step sagas (journaled in Kafka) against plain sagas and Restate: saturated rate, "
        + "latency at an offered load, and the heap of many waiting sagas.",
        "A system that leaves sagas unfinished prints its RESULT with missing=, one that fails a scenario a FAILED "
            + "line, and the run goes on. Exit code 1 only when sagaflow-durable or sagaflow failed; a failing "
            + "peer (restate) is named at the end but leaves the exit code 0."})
final class DurableBenchCommand implements Callable<Integer> {
  private static final int PARTITIONS = DurableLoad.PARTITIONS;

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Option(names = "--systems", split = ",", defaultValue = "sagaflow-durable,sagaflow,restate",
      description = "Systems to run, in order (default ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--sagas", defaultValue = "20000", description = "Sagas in the saturated run (default ${DEFAULT-VALUE})")
  int saturatedSagas;

  @Option(names = "--warm-up-sagas", defaultValue = "2000",
      description = "Sagas in each round of a system's warm-up, at most --sagas (default ${DEFAULT-VALUE})")
  int warmUpSagas;

  @Option(names = "--warm-up-seconds", defaultValue = "60",
      description = {"Each system's warm-up before its measured runs: saturated rounds of --warm-up-sagas until the JIT"
          + " is quiet in this JVM and, for Sagaflow, in the saga JVM (Restate's server is native code), at least 10 s"
          + " and at most this long; 0 runs a single round, the procedure before session 10 (default ${DEFAULT-VALUE}).",
          "A warm-up round that leaves sagas unfinished ends the warm-up: the measured run then shows what is wrong."})
  int warmUpSeconds;

  @Option(names = "--broker-warm-up-seconds", defaultValue = "120",
      description = {"Before the first system, durable sagas run unmeasured on topics of their own until this JVM's"
          + " JIT is quiet (with the embedded broker, that is the broker's own JIT), at least 15 s and at most this"
          + " long; 0 skips it (default ${DEFAULT-VALUE}).",
          "Every system then meets a warm broker, as a service in production does, instead of the first one paying"
              + " the broker's warm-up."})
  int brokerWarmUpSeconds;

  @Option(names = "--rate", defaultValue = "500", description = "Offered load of the paced run, sagas/s (default ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--paced-seconds", defaultValue = "10", description = "Length of the paced run (default ${DEFAULT-VALUE})")
  int pacedSeconds;

  @Option(names = "--breakdown", description = "After each paced run of Sagaflow, print where the time of a saga went "
      + "(BREAKDOWN lines: percentiles of the saga's segments between its replies, measured inside it, and of its "
      + "journal transactions' durations and sizes)")
  boolean breakdown;

  @Option(names = "--commit-interval", converter = io.sagaflow.cli.DurationConverter.class,
      description = "The durable saga consumer's DurableOptions.commitInterval (default: the library's, "
          + "DurableOptions.defaults())")
  Duration commitInterval;

  @Option(names = "--waiting", defaultValue = "100000",
      description = "Sagas left waiting in the heap scenario, 0 to skip it (default ${DEFAULT-VALUE})")
  int waiting;

  @Option(names = "--evict-idle-after", defaultValue = "5s", converter = io.sagaflow.cli.DurationConverter.class,
      description = "In the heap scenario, evict sagas idle this long and measure once they are evicted; 0s keeps"
          + " every saga resident (default ${DEFAULT-VALUE})")
  Duration evictIdleAfter;

  @Option(names = "--child-heap", defaultValue = "1g", description = "-Xmx of the child JVM (default ${DEFAULT-VALUE})")
  String childHeap;

  @Option(names = "--timeout", defaultValue = "300", description = "Seconds a scenario may take (default ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = "--node", defaultValue = "node", description = "The node program npm needs (default ${DEFAULT-VALUE})")
  String node;

  @Option(names = "--npm", defaultValue = "npm", description = "The npm program (default ${DEFAULT-VALUE})")
  String npm;

  @Option(names = "--restate-dir", paramLabel = "DIR",
      description = "Where npm installs the Restate server (default: restate-server-<version> next to the bench)")
  Path restateDir;

  /** Where RESULT, RATIO, SKIP and FAILED lines go (a test captures them). */
  PrintStream out = System.out;

  /** Sagaflow's own systems: only their failures set the exit code (see {@link BenchOutcome}). */
  static final Set<String> OWN = Set.of("sagaflow-durable", "sagaflow");

  private final ActionCodec codec = ActionCodec.create();

  @Override
  public Integer call() throws Exception {
    for (String s : systems) {
      if (!OWN.contains(s) && !s.equals(RestatePeer.SYSTEM)) {
        throw new IllegalArgumentException("unknown system '" + s + "'; use sagaflow-durable, sagaflow or restate");
      }
    }
    if (bootstrapServers != null) {
      return run(bootstrapServers, null);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      return run(kafka.bootstrapServers(), kafka);
    }
  }

  private int run(String bootstrap, EmbeddedKafka kafka) throws Exception {
    String runId = Long.toString(System.currentTimeMillis(), 36);
    Map<String, double[]> rates = new LinkedHashMap<>();
    BenchOutcome outcome = new BenchOutcome(OWN);
    Map<String, Starter> starters = new LinkedHashMap<>();
    for (String system : systems) {
      if (system.equals(RestatePeer.SYSTEM)) {
        prepareRestate().ifPresent(binary -> starters.put(system, p -> startRestate(binary, bootstrap, kafka, p)));
      } else {
        boolean durable = system.equals("sagaflow-durable");
        starters.put(system, p -> startSagaflow(bootstrap, kafka, p, durable));
      }
    }
    if (brokerWarmUpSeconds > 0 && !starters.isEmpty()) {
      warmUpBroker(bootstrap, kafka, "bench-durable-" + runId + "-broker-warm-up");
    }
    for (Map.Entry<String, Starter> e : starters.entrySet()) {
      String prefix = "bench-durable-" + runId + "-" + e.getKey();
      rates.put(e.getKey(), scenarios(e.getKey(), bootstrap, prefix, e.getValue(), outcome));
    }
    ratio("durable/plain", rates.get("sagaflow-durable"), rates.get("sagaflow"));
    ratio("sagaflow-durable/restate", rates.get("sagaflow-durable"), rates.get(RestatePeer.SYSTEM));
    if (waiting > 0 && systems.contains("sagaflow-durable")) {
      try {
        waitingScenario(bootstrap, kafka, "bench-durable-" + runId + "-waiting", outcome);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        failed("sagaflow-durable", List.of("durable-waiting"), reason(e, null), outcome);
      }
    }
    outcome.summary().ifPresent(out::println);
    return outcome.exitCode();
  }

  /**
   * Durable sagas in rounds of 2,000 until this JVM's JIT is quiet ({@link #brokerWarmUpSeconds}). It warms
   * what every system shares, whichever runs first: the broker (produce, fetch, transactions, offset commits)
   * and this JVM's input producer and output reader. A warm-up that fails says so and the run goes on; the
   * measured scenarios then show what is wrong.
   */
  private void warmUpBroker(String bootstrap, EmbeddedKafka kafka, String prefix) throws InterruptedException {
    try (Deployment deployment = startSagaflow(bootstrap, kafka, prefix, true);
        DurableLoad load = new DurableLoad(bootstrap, prefix, codec, deployment::failure)) {
      JitWarmUp.Result warmUp = JitWarmUp.run(15, brokerWarmUpSeconds, () -> {
        Measured round = load.saturated(2000, timeoutSeconds);
        if (round.missing() > 0) {
          throw new IllegalStateException(round.missing() + " of 2000 sagas did not finish");
        }
        return true;
      });
      out.println("bench: broker warm-up: " + warmUp.describe());
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception | OutOfMemoryError e) {
      out.println("bench: the broker warm-up failed (the run goes on): " + reason(e, null));
    }
    out.flush();
  }

  /** One system's processes and topics, for its scenarios. */
  interface Deployment extends AutoCloseable {
    /** Why one of the system's processes stopped, or null while they all run. */
    String failure();

    /** More about a failed scenario (e.g. the last lines of a log), or an empty string. */
    default String detail() {
      return "";
    }

    /** The JIT compilation time of the system's own JVM, for the warm-up; null where there is none to ask. */
    default JitWarmUp.CompileClock jitClock() {
      return null;
    }

    /** BREAKDOWN lines of what the system measured since the last call (see {@link Segments}); none by default. */
    default List<String> breakdown() throws Exception {
      return List.of();
    }

    @Override
    void close();
  }

  /** Starts a system on the topics of {@code prefix}. */
  @FunctionalInterface
  interface Starter {
    Deployment start(String prefix) throws Exception;
  }

  /** A peer that cannot run here at all: a SKIP line, not a failure. */
  static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    Unavailable(String reason) {
      super(reason);
    }
  }

  /**
   * A system's warm-up, saturated and paced scenarios. A saturated scenario that leaves sagas missing prints
   * its RESULT with {@code missing=}; one that cannot finish (a process of the system exited, an exception, or
   * {@code OutOfMemoryError}: the machine out of threads, which any process of the run may be the first to
   * hit) prints a FAILED line. After either, the paced scenario gets fresh processes and topics (and its own
   * warm-up), since the backlog or the broken processes would otherwise be what it measures. A system that
   * does not start fails both scenarios (a peer that cannot run here at all, {@link Unavailable}, is skipped).
   * Either way the run goes on, and {@code outcome} records the failure.
   *
   * @return the saturated rate and the paced p99 (NaN where the scenario failed), for the RATIO lines
   */
  double[] scenarios(String system, String bootstrap, String prefix, Starter starter, BenchOutcome outcome)
      throws InterruptedException {
    String saturatedName = "durable-3step-saturated";
    String pacedName = "durable-3step-" + rate;
    double[] figures = {Double.NaN, Double.NaN};
    Deployment deployment = null;
    DurableLoad load = null;
    try {
      try {
        deployment = starter.start(prefix);
      } catch (Unavailable e) {
        skip(system, e.getMessage());
        return figures;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception | OutOfMemoryError e) {
        failed(system, List.of(saturatedName, pacedName), reason(e, null), outcome);
        return figures;
      }
      String fresh = "failed its saturated run"; // null: the paced run goes on on the same processes
      try {
        load = new DurableLoad(bootstrap, prefix, codec, deployment::failure);
        warmUp(system, load, deployment);
        Measured saturated = load.saturated(saturatedSagas, timeoutSeconds);
        print(system, saturatedName, saturated);
        if (saturated.missing() == 0) {
          figures[0] = saturated.rate();
          fresh = null;
        } else {
          fresh = "left " + saturated.missing() + " sagas unfinished";
          outcome.failed(system, saturatedName + " missing=" + saturated.missing());
          printDetail(system, deployment);
        }
      } catch (Exception | OutOfMemoryError e) {
        failed(system, List.of(saturatedName), reason(e, deployment), outcome);
        printDetail(system, deployment);
      }
      try {
        if (fresh != null) {
          out.println("bench: " + system + " " + fresh + "; the paced run gets fresh processes and topics");
          closeQuietly(load, deployment);
          load = null;
          deployment = null;
          String freshPrefix = prefix + "-paced";
          deployment = starter.start(freshPrefix);
          load = new DurableLoad(bootstrap, freshPrefix, codec, deployment::failure);
          warmUp(system, load, deployment); // of the fresh processes
        }
        load.paced(rate, Math.min(5, pacedSeconds), timeoutSeconds); // warm-up at the paced load
        if (breakdown) {
          deployment.breakdown(); // forgets the warm-up's
        }
        Measured paced = load.paced(rate, pacedSeconds, timeoutSeconds);
        print(system, pacedName, paced);
        if (breakdown) {
          for (String line : deployment.breakdown()) {
            out.println(line.replaceFirst("BREAKDOWN ", "BREAKDOWN system=" + system + " scenario=" + pacedName + " "));
          }
        }
        if (paced.missing() == 0) {
          figures[1] = paced.percentile(0.99);
        } else {
          outcome.failed(system, pacedName + " missing=" + paced.missing());
          printDetail(system, deployment);
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception | OutOfMemoryError e) {
        failed(system, List.of(pacedName), reason(e, deployment), outcome);
        printDetail(system, deployment);
      }
    } finally {
      closeQuietly(load, deployment);
    }
    return figures;
  }

  /** A system's warm-up ({@link #warmUpSeconds}); says how long it took. */
  private void warmUp(String system, DurableLoad load, Deployment deployment) throws Exception {
    int sagas = Math.min(warmUpSagas, saturatedSagas);
    if (warmUpSeconds <= 0) {
      load.saturated(sagas, timeoutSeconds);
      return;
    }
    List<JitWarmUp.CompileClock> clocks = new ArrayList<>(List.of(JitWarmUp.thisJvm()));
    if (deployment.jitClock() != null) {
      clocks.add(deployment.jitClock());
    }
    JitWarmUp.Result warmUp = JitWarmUp.run(Math.min(10, warmUpSeconds), warmUpSeconds, clocks,
        () -> load.saturated(sagas, timeoutSeconds).missing() == 0);
    out.println("bench: " + system + " warm-up: " + warmUp.describe());
    out.flush();
  }

  private static String reason(Throwable e, Deployment deployment) {
    String reason = e.getMessage() == null ? e.toString() : e.getClass().getSimpleName() + ": " + e.getMessage();
    String stopped = deployment == null ? null : deployment.failure();
    return stopped == null || reason.contains(stopped) ? reason : reason + "; " + stopped;
  }

  private void failed(String system, List<String> scenarios, String reason, BenchOutcome outcome) {
    for (String scenario : scenarios) {
      out.println("FAILED system=" + system + " scenario=" + scenario + " reason=\"" + quoted(reason) + "\"");
    }
    out.flush();
    outcome.failed(system, String.join(",", scenarios) + " (" + reason.lines().findFirst().orElse("") + ")");
  }

  private void printDetail(String system, Deployment deployment) {
    String detail = deployment == null ? "" : deployment.detail();
    if (!detail.isBlank()) {
      out.println("bench: " + system + ": " + detail);
    }
  }

  private static void closeQuietly(DurableLoad load, Deployment deployment) {
    try {
      if (load != null) {
        load.close();
      }
    } catch (RuntimeException e) {
      System.err.println("bench: closing the load's clients failed: " + e);
    } finally {
      if (deployment != null) {
        deployment.close();
      }
    }
  }

  /** The options of every {@link DurableBenchChild} this run starts. */
  private List<String> childOptions() {
    List<String> options = new ArrayList<>();
    if (commitInterval != null) {
      options.add("--commit-interval-ms=" + commitInterval.toMillis());
    }
    if (breakdown) {
      options.add("--breakdown");
    }
    return options;
  }

  /** Sagaflow's saga consumer in a child JVM, the echo participant in this one. */
  private Deployment startSagaflow(String bootstrap, EmbeddedKafka kafka, String prefix, boolean durable)
      throws Exception {
    createTopics(kafka, bootstrap, prefix);
    Echo echo = new Echo(bootstrap, prefix);
    DurableChildProcess child = null;
    try {
      child = DurableChildProcess.start(bootstrap, prefix, durable, false, childHeap,
          io.sagaflow.saga.DurableOptions.DEFAULT_EVICT_IDLE_AFTER.toMillis(), childOptions());
      echo.awaitAssigned();
      child.awaitReady(Duration.ofSeconds(90));
    } catch (Exception | Error e) {
      if (child != null) {
        child.close();
      }
      echo.close();
      throw e;
    }
    DurableChildProcess started = child;
    return new Deployment() {
      @Override
      public String failure() {
        return started.failure();
      }

      @Override
      public JitWarmUp.CompileClock jitClock() {
        return started::jitMillis;
      }

      @Override
      public List<String> breakdown() throws Exception {
        return started.breakdown();
      }

      @Override
      public void close() {
        try {
          started.close();
        } finally {
          echo.close();
        }
      }
    };
  }

  /** The Restate server's binary, or empty (with a SKIP line) when it cannot be installed here. */
  private Optional<RestatePeer.Binary> prepareRestate() throws InterruptedException {
    Path dir = restateDir != null ? restateDir : RestatePeer.defaultNpmDir();
    out.println("bench: Restate server " + RestatePeer.SERVER_VERSION + " in " + dir);
    return switch (RestatePeer.prepare(node, npm, dir)) {
      case RestatePeer.Skip s -> {
        skip(RestatePeer.SYSTEM, s.reason());
        yield Optional.empty();
      }
      case RestatePeer.Binary b -> Optional.of(b);
    };
  }

  /** The Restate server and its service JVM; one that does not start is {@link Unavailable} (SKIP). */
  private Deployment startRestate(RestatePeer.Binary binary, String bootstrap, EmbeddedKafka kafka, String prefix)
      throws Exception {
    createTopics(kafka, bootstrap, prefix);
    RestatePeer peer;
    try {
      peer = RestatePeer.start(binary, bootstrap, prefix, childHeap);
    } catch (IOException | IllegalStateException e) {
      throw new Unavailable("the Restate server or its service JVM did not start: " + e.getMessage());
    }
    return new Deployment() {
      @Override
      public String failure() {
        return peer.failure();
      }

      @Override
      public String detail() {
        String tail = peer.serviceLogTail();
        return tail.isBlank() ? "" : "the service JVM's log ends: " + tail;
      }

      @Override
      public void close() {
        peer.close();
      }
    };
  }

  /** N durable sagas left waiting on a take; the child's heap once they are evicted (or resident). */
  private void waitingScenario(String bootstrap, EmbeddedKafka kafka, String prefix, BenchOutcome outcome)
      throws Exception {
    createTopics(kafka, bootstrap, prefix);
    long evictMs = evictIdleAfter.isZero() ? -1 : evictIdleAfter.toMillis();
    int restored;
    try (DurableChildProcess child =
            DurableChildProcess.start(bootstrap, prefix, true, true, childHeap, evictMs, childOptions());
        DurableLoad sagas = new DurableLoad(bootstrap, prefix, codec, child::failure)) {
      child.awaitReady(Duration.ofSeconds(90));
      Measured started = sagas.saturated(waiting, timeoutSeconds);
      int[] resident = child.resident();
      // With eviction, measure once the waiting sagas have left memory (or the timeout passed).
      long until = System.nanoTime() + evictIdleAfter.plusSeconds(timeoutSeconds).toNanos();
      while (evictMs >= 0 && resident[0] > 0 && System.nanoTime() < until) {
        Thread.sleep(500);
        resident = child.resident();
      }
      long heapMb = child.heapMb();
      out.printf(Locale.ROOT,
          "RESULT system=sagaflow-durable scenario=durable-waiting sagas=%d seconds=%.2f rate=%.0f heap_mb=%d"
              + " resident=%d evicted=%d%s%n",
          started.done(), started.seconds(), started.rate(), heapMb, resident[0], resident[1],
          started.missing() == 0 ? "" : " missing=" + started.missing());
      if (started.missing() > 0) {
        outcome.failed("sagaflow-durable", "durable-waiting missing=" + started.missing());
      }
      restored = started.missing() == 0 && evictMs >= 0 ? started.done() : 0;
    } // the child commits and leaves the group as it closes: the next owner restores every waiting saga
    if (restored > 0) {
      restoreScenario(bootstrap, prefix, restored, evictMs, outcome);
    }
  }

  /**
   * A new owner of the {@code sagas} waiting sagas: the time from its start until every one is
   * restored (evicted, none resident) and its heap after a full GC then.
   */
  private void restoreScenario(String bootstrap, String prefix, int sagas, long evictMs, BenchOutcome outcome)
      throws Exception {
    long t0 = System.nanoTime();
    try (DurableChildProcess child =
        DurableChildProcess.start(bootstrap, prefix, true, true, childHeap, evictMs, childOptions())) {
      child.awaitReady(Duration.ofSeconds(90));
      int[] held = child.resident();
      long until = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
      while (held[0] + held[1] < sagas || held[0] > 0) {
        if (System.nanoTime() > until || child.failure() != null) {
          break;
        }
        Thread.sleep(100);
        held = child.resident();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long heapMb = child.heapMb();
      out.printf(Locale.ROOT,
          "RESULT system=sagaflow-durable scenario=durable-waiting-restore sagas=%d seconds=%.2f heap_mb=%d"
              + " resident=%d evicted=%d%n", sagas, seconds, heapMb, held[0], held[1]);
      if (held[1] < sagas) {
        outcome.failed("sagaflow-durable", "durable-waiting-restore evicted=" + held[1] + " of " + sagas);
      }
    }
  }

  private void skip(String system, String reason) {
    out.println("SKIP system=" + system + " reason=\"" + quoted(reason) + "\"");
    out.flush();
  }

  private static String quoted(String reason) {
    return reason.strip().replace('"', '\'').replaceAll("\\s*\\R\\s*", " | ");
  }

  /** Divides the first system's figures by the second's; "-" where either scenario failed. */
  private void ratio(String name, double[] a, double[] b) {
    if (a != null && b != null) {
      out.printf(Locale.ROOT, "RATIO %s saturated_rate=%s p99_at_%d=%s%n", name, divided(a[0], b[0]), rate,
          divided(a[1], b[1]));
    }
  }

  static String divided(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? "-" : String.format(Locale.ROOT, "%.2f", a / Math.max(0.001, b));
  }

  private static void createTopics(EmbeddedKafka kafka, String bootstrap, String prefix) {
    for (String suffix : List.of("-in", "-req", "-reply", "-out")) {
      if (kafka != null) {
        kafka.createTopic(prefix + suffix, PARTITIONS);
      } else {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
          admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(prefix + suffix, PARTITIONS,
              (short) 1))).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException("cannot create topic " + prefix + suffix + " on " + bootstrap + ": " + e, e);
        }
      }
    }
  }

  private void print(String system, String scenario, Measured m) {
    out.printf(Locale.ROOT,
        "RESULT system=%s scenario=%s sagas=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f%s%n",
        system, scenario, m.done(), m.seconds(), m.rate(), m.percentile(0.5), m.percentile(0.99),
        m.missing() == 0 ? "" : " missing=" + m.missing());
    out.flush();
  }

  /** The participant: answers each request with a reply in the same transaction. */
  private static final class Echo implements AutoCloseable {
    private final SagaRuntime runtime;
    private final SagaConsumer consumer;

    Echo(String bootstrap, String prefix) {
      runtime = Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", bootstrap)
          .withKafkaProperty("client.id", "bench-durable-echo"));
      String reply = prefix + "-reply";
      Saga<Integer> echo = (action, ctx) -> ctx.put(reply, action.payload());
      consumer = runtime.consumer(prefix + "-req", Integer.class, echo,
          SagaConsumerOptions.of(prefix + "-echo").withMaxInFlight(10_000));
    }

    void awaitAssigned() throws InterruptedException {
      Assignments.await(consumer, Duration.ofSeconds(60), "the echo participant");
    }

    @Override
    public void close() {
      consumer.close();
      runtime.close();
    }
  }
}
