package io.sagaflow.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.Branch;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import io.sagaflow.testkit.NodePackages;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Saga request/reply round trips: a requester saga opens a channel on the reply topic, puts a
 * request, and races the reply against a timeout; an echo saga consumer (its own runtime, as if
 * another service) answers each request. Measured twice: saturated (as many sagas in flight as
 * {@code --concurrency} allows) and at a fixed offered load, where latency is measured from each
 * saga's scheduled start so that a slow moment is not hidden (no coordinated omission). Each
 * measured run follows an unmeasured warm-up at the same kind of load.
 *
 * <p>In the same run, after Sagaflow, the peer {@code kafka-sagas} (npm) runs the same round trip in two
 * Node processes against the same broker, once per setting ({@link KafkaSagasPeer}); then RATIO lines
 * compare Sagaflow with each. Where Node, npm or the npm registry is missing, it prints SKIP instead.
 */
@Command(name = "saga", mixinStandardHelpOptions = true,
    description = {"Saga request/reply round trips: saturated rate and latency at an offered load.",
        "Exit code 1 only when Sagaflow failed (sagas that failed or timed out, or an error); a peer (kafka-sagas) "
            + "that fails prints FAILED, is named at the end and leaves the exit code 0; one that cannot run "
            + "here prints SKIP."})
final class SagaBenchCommand implements Callable<Integer> {
  /**
   * Topics of this run: fresh names, as the peer's, so that against a broker kept between runs
   * ({@code --bootstrap-servers}) Sagaflow's new echo group (which starts at the earliest offset) does not
   * first answer every request of the earlier runs, nor the requester decode their replies.
   */
  private final String runTopicSuffix = "-" + System.currentTimeMillis();
  private final String requestTopic = "BENCH_SAGA_REQUEST" + runTopicSuffix;
  private final String replyTopic = "BENCH_SAGA_REPLY" + runTopicSuffix;
  /** How long a requester saga waits for its reply, in both systems. */
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Option(names = "--sagas", defaultValue = "20000",
      description = "Sagas in the saturated run (default ${DEFAULT-VALUE}; with --saturated-seconds, at most this "
          + "many)")
  int saturatedSagas;

  /**
   * A fixed 20,000 sagas last 3 to 5 s here, so ramp-up, drain and C2 still compiling weigh on the
   * rate; a time-bound run (as kafka-sagas' is, --kafka-sagas-seconds) averages them out. Off by
   * default: on the shared 2-core machine of session 9, 15 s runs varied more than 20,000-saga runs
   * (the machine's load, not the run's length, decided the rate), so the default stayed.
   */
  @Option(names = "--saturated-seconds", defaultValue = "0",
      description = "Sagaflow's saturated run stops starting sagas after this long, or after --sagas; use a large "
          + "--sagas with it (default ${DEFAULT-VALUE}: no time limit)")
  int saturatedSeconds;

  @Option(names = "--concurrency", defaultValue = "1000", description = "Sagas in flight in the saturated run (default ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--rate", defaultValue = "1000", description = "Offered load of the paced run, sagas/s (default ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--paced-seconds", defaultValue = "10", description = "Length of the paced run (default ${DEFAULT-VALUE})")
  int pacedSeconds;

  /**
   * One warm-up of 2,000 sagas (the procedure before session 10) lasts half a second: the measured
   * saturated run, 3 to 5 s, then ran while C2 compiled the code it runs.
   */
  @Option(names = "--warmup-seconds", defaultValue = "60",
      description = "Before the measured saturated run, run saturated rounds of 5,000 sagas (--concurrency in flight) "
          + "unmeasured for at least 5 s and until the JIT is quiet (under 100 ms of compilation per second in each "
          + "of 2 consecutive rounds), at most this long (default ${DEFAULT-VALUE}; 0: one round of 2,000 sagas with "
          + "200 in flight, the procedure before session 10)")
  int warmupSeconds;

  /**
   * The saturated warm-up and run leave the JIT busy with the code that only the paced load runs
   * (long-poll fetches and single-record batches on both sides, idle-to-busy wake-ups): measured
   * right away, the paced run shares the two cores with C2 compiling for most of its 10 s (on the
   * reference machine the compile backlog lasts until 35 to 40 s into the process).
   */
  @Option(names = "--paced-warmup-seconds", defaultValue = "60",
      description = "Before the measured paced run, run the paced load unmeasured for at least 5 s and until the "
          + "JIT is quiet (under 100 ms of compilation in each of 2 consecutive seconds), at most this long "
          + "(default ${DEFAULT-VALUE}; 0 measures right after the saturated run)")
  int pacedWarmupSeconds;

  @Option(names = "--metrics", description = "After each scenario, print METRIC lines: Kafka requests per saga "
      + "(clients and embedded broker, from JMX) and CPU time per saga of this JVM")
  boolean metrics;

  @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
      description = "A Kafka client property for both saga runtimes (producer and consumers), repeatable")
  Map<String, String> kafkaProperties = new java.util.LinkedHashMap<>();

  @Option(names = "--breakdown", description = "After the paced run, print where the time of a round trip goes "
      + "(BREAKDOWN lines: percentiles of each segment, from timestamps taken inside the sagas)")
  boolean breakdown;

  @Option(names = "--systems", split = ",", defaultValue = "sagaflow,kafka-sagas",
      description = "Systems to run: sagaflow, kafka-sagas (Sagaflow runs first) (default ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--kafka-sagas-settings", split = ",", defaultValue = "default,best",
      description = "kafka-sagas settings to run: default (the package's producer flush intervals: 1,000 ms for "
          + "the requester's ThrottledProducer, 100 ms for the echo TopicSagaConsumer's), best (both at "
          + "--kafka-sagas-flush-ms) (default ${DEFAULT-VALUE})")
  List<String> kafkaSagasSettings;

  @Option(names = "--kafka-sagas-flush-ms", defaultValue = "1",
      description = "flushIntervalMs of both kafka-sagas producers in the best setting; 1 is the lowest the package "
          + "takes (default ${DEFAULT-VALUE})")
  int kafkaSagasFlushMs;

  @Option(names = "--kafka-sagas-concurrency", defaultValue = "50",
      description = "kafka-sagas sagas in flight in its warm-up and saturated run: its echo saga consumer runs one "
          + "saga at a time, so more only queue (past ~10 s of queue they time out) (default ${DEFAULT-VALUE})")
  int kafkaSagasConcurrency;

  @Option(names = "--kafka-sagas-seconds", defaultValue = "30",
      description = "The kafka-sagas saturated run stops starting sagas after --sagas or after this long "
          + "(default ${DEFAULT-VALUE})")
  int kafkaSagasSeconds;

  @Option(names = "--kafka-sagas-warmup-seconds", defaultValue = "5",
      description = "Closed-loop warm-up of kafka-sagas before its saturated run (default ${DEFAULT-VALUE})")
  int kafkaSagasWarmupSeconds;

  @Option(names = "--node", defaultValue = "node", description = "The node program (default ${DEFAULT-VALUE})")
  String node;

  @Option(names = "--npm", defaultValue = "npm", description = "The npm program (default ${DEFAULT-VALUE})")
  String npm;

  @Option(names = "--npm-dir", paramLabel = "DIR",
      description = "Where kafka-sagas and kafkajs are installed (reused when there); default: "
          + "kafka-sagas-17.1.0-kafkajs-1.15.0 next to the bench jar, else under the temp dir")
  Path npmDir;

  PrintStream out = System.out;

  private final RequestCounters counters = new RequestCounters();
  private final List<SagaResult> results = new ArrayList<>();
  /** Sagaflow's own failures set the exit code; the peer's are reported (see {@link BenchOutcome}). */
  private final BenchOutcome outcome = new BenchOutcome(java.util.Set.of("sagaflow"));

  /** Timestamps of the paced run's sagas by segment, when --breakdown is on; null otherwise. */
  private static volatile long[][] stamps;

  private static final String[] STAMPS = {"started", "put_acked", "echo_started", "echo_put_acked", "replied"};

  private static void stamp(int stage, Integer n) {
    long[][] s = stamps;
    if (s != null && n != null && n >= 0 && n < s[stage].length) {
      s[stage][n] = System.nanoTime();
    }
  }

  @Override
  public Integer call() throws Exception {
    for (String system : systems) {
      if (!List.of("sagaflow", KafkaSagasPeer.SYSTEM).contains(system)) {
        throw new IllegalArgumentException("unknown system '" + system + "' in --systems: use sagaflow, kafka-sagas");
      }
    }
    List<KafkaSagasPeer.Setting> settings = new ArrayList<>();
    for (String setting : kafkaSagasSettings) {
      settings.add(switch (setting) {
        case "default" -> KafkaSagasPeer.Setting.defaults();
        case "best" -> KafkaSagasPeer.Setting.best(kafkaSagasFlushMs);
        default -> throw new IllegalArgumentException(
            "unknown kafka-sagas setting '" + setting + "' in --kafka-sagas-settings: use default, best");
      });
    }
    NodePackages.Ready peer = systems.contains(KafkaSagasPeer.SYSTEM) ? preparePeer() : null;
    if (systems.contains("sagaflow") || peer != null) {
      if (bootstrapServers != null) {
        run(bootstrapServers, peer, settings);
      } else {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
          run(kafka.bootstrapServers(), peer, settings);
        }
      }
    }
    outcome.summary().ifPresent(out::println);
    return outcome.exitCode();
  }

  /** Installs kafka-sagas (or finds it); null, with a SKIP or FAILED line, when it cannot run. */
  private NodePackages.Ready preparePeer() throws InterruptedException {
    Path dir = npmDir != null ? npmDir : KafkaSagasPeer.defaultNpmDir();
    out.println("bench: kafka-sagas " + KafkaSagasPeer.PACKAGES + " in " + dir);
    switch (KafkaSagasPeer.prepare(node, npm, dir)) {
      case NodePackages.Ready ready -> {
        return ready;
      }
      case NodePackages.Unavailable u ->
          out.println("SKIP system=" + KafkaSagasPeer.SYSTEM + " reason=\"" + quoted(u.reason()) + "\"");
      case NodePackages.Failed f -> {
        outcome.failed(KafkaSagasPeer.SYSTEM, "npm install");
        out.println("FAILED system=" + KafkaSagasPeer.SYSTEM + " reason=\"" + quoted(f.reason()) + "\"");
      }
    }
    return null;
  }

  private static String quoted(String reason) {
    return reason.strip().replace('"', '\'').replaceAll("\\s*\\R\\s*", " | ");
  }

  private void run(String bootstrap, NodePackages.Ready peer, List<KafkaSagasPeer.Setting> settings) throws Exception {
    if (systems.contains("sagaflow")) {
      // Sagaflow first: the peer's processes, topics and groups do not exist yet while it is measured.
      try {
        createTopicIfAbsent(bootstrap, requestTopic);
        createTopicIfAbsent(bootstrap, replyTopic);
        runSagaflow(bootstrap);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        outcome.failed("sagaflow", "(" + e + ")");
        out.println("FAILED system=sagaflow reason=\"" + quoted(String.valueOf(e)) + "\"");
      }
    }
    if (peer != null) {
      KafkaSagasPeer kafkaSagas = new KafkaSagasPeer(node, peer.directory(), out);
      KafkaSagasPeer.Load load = new KafkaSagasPeer.Load(kafkaSagasWarmupSeconds, saturatedSagas, kafkaSagasConcurrency,
          kafkaSagasSeconds, rate, pacedSeconds, (int) REPLY_TIMEOUT.toMillis());
      for (KafkaSagasPeer.Setting setting : settings) {
        out.println("bench: running kafka-sagas (node " + peer.nodeVersion() + "), setting " + setting.label());
        try {
          kafkaSagas.run(bootstrap, setting, load).forEach(r -> {
            results.add(r);
            out.println(r.format());
          });
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception | OutOfMemoryError e) {
          // The next setting and the RATIO lines still run; the processes of this one are closed.
          String reason = String.valueOf(e instanceof ExecutionException ? e.getCause() : e.getMessage());
          outcome.failed(KafkaSagasPeer.SYSTEM, "setting=" + setting.label() + " ("
              + reason.lines().findFirst().orElse("") + ")");
          out.println("FAILED system=" + KafkaSagasPeer.SYSTEM + " setting=" + setting.label() + " reason=\""
              + quoted(reason) + "\"");
        }
      }
    }
    printRatios();
  }

  private static void createTopicIfAbsent(String bootstrap, String topic) throws Exception {
    try {
      DataProducer.createTopic(bootstrap, topic, 6);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  /** Sagaflow against each kafka-sagas setting, per scenario: rates and latencies, Sagaflow's divided by the peer's. */
  private void printRatios() {
    for (SagaResult s : results.stream().filter(r -> r.system().equals("sagaflow")).toList()) {
      List<SagaResult> peers = results.stream()
          .filter(r -> !r.system().equals("sagaflow") && r.scenario().equals(s.scenario())).toList();
      for (SagaResult k : peers) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "RATIO scenario=%s setting=%s", s.scenario(),
            k.setting()));
        line.append(" rate_sagaflow/").append(k.system()).append('=').append(ratio(s.rate(), k.rate()));
        if (!s.scenario().endsWith("-saturated")) {
          line.append(" p50_sagaflow/").append(k.system()).append('=').append(ratio(s.p50Ms(), k.p50Ms()));
          line.append(" p99_sagaflow/").append(k.system()).append('=').append(ratio(s.p99Ms(), k.p99Ms()));
          // At an offered load, a latency is comparable only where the peer kept up with it.
          boolean keptUp = k.failed() == 0 && k.rate() >= 0.95 * rate;
          line.append(' ').append(k.system()).append("_reached_offered_rate=").append(keptUp ? "yes" : "no");
        }
        out.println(line);
      }
    }
  }

  private static String ratio(double a, double b) {
    return b <= 0 ? "-" : String.format(Locale.ROOT, a / b >= 0.1 ? "%.2f" : "%.4f", a / b);
  }

  private void runSagaflow(String bootstrap) throws Exception {
    SagaOptions base = SagaOptions.defaults().withKafkaProperty("bootstrap.servers", bootstrap);
    for (Map.Entry<String, String> p : kafkaProperties.entrySet()) {
      base = base.withKafkaProperty(p.getKey(), p.getValue());
    }
    Saga<Integer> echo = (action, ctx) -> {
      stamp(2, action.payload());
      ctx.put(replyTopic, action.payload());
      stamp(3, action.payload());
    };
    Saga<Integer> requester = (action, ctx) -> {
      stamp(0, action.payload());
      ActionChannel<Integer> replies = ctx.actionChannel(ActionPattern.of(replyTopic, Integer.class));
      ctx.put(requestTopic, action.payload());
      stamp(1, action.payload());
      Branch<Action<Integer>> reply = Branch.of("reply", Effects.take(replies));
      RaceResult r = ctx.race(reply, Branch.of("timeout", Effects.delay(REPLY_TIMEOUT)));
      stamp(4, action.payload());
      if (!r.won(reply)) {
        throw new IllegalStateException("no reply within 10 s");
      }
    };
    try (SagaRuntime echoRuntime = Sagas.runtime(base.withKafkaProperty("client.id", "bench-echo"));
        SagaConsumer echoConsumer = echoRuntime.consumer(requestTopic, Integer.class, echo,
            SagaConsumerOptions.of("bench-echo-" + System.nanoTime(), requestTopic + "-dlt").withMaxInFlight(concurrency * 2));
        SagaRuntime requests = Sagas.runtime(base.withKafkaProperty("client.id", "bench-requester"))) {
      Assignments.await(echoConsumer, Duration.ofSeconds(60), "the echo saga consumer");
      // Warm up (JIT, connections, the reply consumer's first follow) before measuring.
      if (warmupSeconds <= 0) {
        saturated(requests, requester, Math.min(2000, saturatedSagas), Math.min(concurrency, 200), 0, "warmup", false);
      } else {
        JitWarmUp.Result warmUp = JitWarmUp.run(5, warmupSeconds, () -> {
          saturated(requests, requester, Math.min(5000, saturatedSagas), concurrency, 0, "warmup", false);
          return true;
        });
        System.err.printf(Locale.ROOT, "saturated warm-up: %s%n", warmUp.describe());
      }
      counters.reset();
      int started = saturated(requests, requester, saturatedSagas, concurrency, saturatedSeconds,
          "saga-roundtrip-saturated", true);
      printMetrics("saga-roundtrip-saturated", started);
      if (pacedWarmupSeconds > 0) {
        pacedWarmup(requests, requester);
        counters.reset();
      }
      if (breakdown) {
        stamps = new long[STAMPS.length][rate * pacedSeconds];
      }
      long[] scheduled = paced(requests, requester, rate, pacedSeconds);
      if (breakdown) {
        printBreakdown(scheduled);
        stamps = null;
      }
      printMetrics("saga-roundtrip-" + rate, (long) rate * pacedSeconds);
    }
  }

  /**
   * Runs up to {@code sagas} with {@code concurrency} in flight, starting none after {@code seconds}
   * (0: no time limit), and waits for the last; returns how many started.
   */
  private int saturated(SagaRuntime runtime, Saga<Integer> requester, int sagas, int concurrency, int seconds,
      String scenario, boolean print) throws InterruptedException {
    Semaphore permits = new Semaphore(concurrency);
    long[] latencies = new long[sagas];
    AtomicInteger failures = new AtomicInteger();
    long start = System.nanoTime();
    long stopAt = start + TimeUnit.SECONDS.toNanos(seconds);
    int started = 0;
    for (int i = 0; i < sagas; i++) {
      permits.acquire();
      if (seconds > 0 && System.nanoTime() - stopAt >= 0) {
        permits.release();
        break;
      }
      started++;
      int n = i;
      long t0 = System.nanoTime();
      runtime.run(requester, Action.of("BENCH_START", "bench-" + scenario + "-" + n + "-" + t0, n))
          .whenComplete((v, e) -> {
            latencies[n] = System.nanoTime() - t0;
            if (e != null) {
              failures.incrementAndGet();
            }
            permits.release();
          });
    }
    permits.acquire(concurrency);
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (print) {
      print(scenario, started - failures.get(), elapsed, Arrays.copyOf(latencies, started), failures.get());
    }
    return started;
  }

  /** The paced load in 1 s runs until the JIT is quiet (see {@link #pacedWarmupSeconds}); says how long on stderr. */
  private void pacedWarmup(SagaRuntime runtime, Saga<Integer> requester) throws Exception {
    JitWarmUp.Result warmUp = JitWarmUp.run(5, pacedWarmupSeconds,
        () -> {
          paced(runtime, requester, rate, 1, "paced-warmup", false);
          return true;
        });
    System.err.printf(Locale.ROOT, "paced warm-up: %s at %d sagas/s%n", warmUp.describe(), rate);
  }

  private long[] paced(SagaRuntime runtime, Saga<Integer> requester, int rate, int seconds)
      throws InterruptedException {
    return paced(runtime, requester, rate, seconds, "saga-roundtrip-" + rate, true);
  }

  private long[] paced(SagaRuntime runtime, Saga<Integer> requester, int rate, int seconds, String scenario,
      boolean print) throws InterruptedException {
    int sagas = rate * seconds;
    long[] latencies = new long[sagas];
    AtomicInteger failures = new AtomicInteger();
    AtomicLong done = new AtomicLong();
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime();
    CompletableFuture<?>[] all = new CompletableFuture<?>[sagas];
    long[] scheduledAt = new long[sagas];
    for (int i = 0; i < sagas; i++) {
      long scheduled = start + i * intervalNanos;
      scheduledAt[i] = scheduled;
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      int n = i;
      all[i] = runtime.run(requester, Action.of("BENCH_START", "bench-paced-" + n + "-" + scheduled, n))
          .whenComplete((v, e) -> {
            latencies[n] = System.nanoTime() - scheduled;
            if (e != null) {
              failures.incrementAndGet();
            }
            done.incrementAndGet();
          });
    }
    CompletableFuture.allOf(all).exceptionally(e -> null).join();
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (print) {
      print(scenario, sagas - failures.get(), elapsed, latencies, failures.get());
    }
    return scheduledAt;
  }

  /** Percentiles of each segment of the paced round trips (scheduled, then the stamps in order). */
  private void printBreakdown(long[] scheduled) {
    long[][] s = stamps;
    String[] names = new String[STAMPS.length + 1];
    names[0] = "scheduled";
    System.arraycopy(STAMPS, 0, names, 1, STAMPS.length);
    for (int seg = 0; seg < STAMPS.length; seg++) {
      long[] from = seg == 0 ? scheduled : s[seg - 1];
      long[] to = s[seg];
      long[] d = new long[to.length];
      int n = 0;
      for (int i = 0; i < to.length; i++) {
        if (from[i] != 0 && to[i] != 0) {
          d[n++] = to[i] - from[i];
        }
      }
      long[] sorted = Arrays.copyOf(d, n);
      Arrays.sort(sorted);
      out.printf(Locale.ROOT, "BREAKDOWN %s->%s p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
          names[seg], names[seg + 1], percentile(sorted, 0.5) / 1e6, percentile(sorted, 0.9) / 1e6,
          percentile(sorted, 0.99) / 1e6, n == 0 ? 0 : sorted[n - 1] / 1e6);
    }
  }

  private void printMetrics(String scenario, long sagas) {
    if (metrics) {
      counters.print(scenario, sagas);
    }
    counters.reset();
  }

  private void print(String scenario, int sagas, double seconds, long[] latencies, int failed) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    SagaResult result = new SagaResult("sagaflow", scenario, sagas, seconds, percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6, failed, null);
    results.add(result);
    out.println(result.format());
    if (failed > 0) {
      outcome.failed("sagaflow", scenario + " failed=" + failed);
    }
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }
}
