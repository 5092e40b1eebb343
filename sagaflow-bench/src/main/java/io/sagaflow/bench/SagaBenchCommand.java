package io.sagaflow.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Saga request/reply round trips: a requester saga opens a channel on the reply topic, puts a
 * request, and races the reply against a timeout; an echo saga consumer (its own runtime, as if
 * another service) answers each request. Measured twice: saturated (as many sagas in flight as
 * {@code --concurrency} allows) and at a fixed offered load, where latency is measured from each
 * saga's scheduled start so that a slow moment is not hidden (no coordinated omission). Each
 * measured run follows an unmeasured warm-up at the same kind of load.
 */
@Command(name = "saga", mixinStandardHelpOptions = true,
    description = "Saga request/reply round trips: saturated rate and latency at an offered load.")
final class SagaBenchCommand implements Callable<Integer> {
  private static final String REQUEST = "BENCH_SAGA_REQUEST";
  private static final String REPLY = "BENCH_SAGA_REPLY";

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Option(names = "--sagas", defaultValue = "20000", description = "Sagas in the saturated run (default ${DEFAULT-VALUE})")
  int saturatedSagas;

  @Option(names = "--concurrency", defaultValue = "1000", description = "Sagas in flight in the saturated run (default ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--rate", defaultValue = "1000", description = "Offered load of the paced run, sagas/s (default ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--paced-seconds", defaultValue = "10", description = "Length of the paced run (default ${DEFAULT-VALUE})")
  int pacedSeconds;

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

  private final RequestCounters counters = new RequestCounters();

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
    if (bootstrapServers != null) {
      return run(bootstrapServers);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic(REQUEST, 6);
      kafka.createTopic(REPLY, 6);
      return run(kafka.bootstrapServers());
    }
  }

  private int run(String bootstrap) throws Exception {
    SagaOptions base = SagaOptions.defaults().withKafkaProperty("bootstrap.servers", bootstrap);
    for (Map.Entry<String, String> p : kafkaProperties.entrySet()) {
      base = base.withKafkaProperty(p.getKey(), p.getValue());
    }
    Saga<Integer> echo = (action, ctx) -> {
      stamp(2, action.payload());
      ctx.put(REPLY, action.payload());
      stamp(3, action.payload());
    };
    Saga<Integer> requester = (action, ctx) -> {
      stamp(0, action.payload());
      ActionChannel<Integer> replies = ctx.actionChannel(ActionPattern.of(REPLY, Integer.class));
      ctx.put(REQUEST, action.payload());
      stamp(1, action.payload());
      Branch<Action<Integer>> reply = Branch.of("reply", Effects.take(replies));
      RaceResult r = ctx.race(reply, Branch.of("timeout", Effects.delay(Duration.ofSeconds(10))));
      stamp(4, action.payload());
      if (!r.won(reply)) {
        throw new IllegalStateException("no reply within 10 s");
      }
    };
    try (SagaRuntime echoRuntime = Sagas.runtime(base.withKafkaProperty("client.id", "bench-echo"));
        SagaConsumer echoConsumer = echoRuntime.consumer(REQUEST, Integer.class, echo,
            SagaConsumerOptions.of("bench-echo-" + System.nanoTime(), REQUEST + "-dlt").withMaxInFlight(concurrency * 2));
        SagaRuntime requests = Sagas.runtime(base.withKafkaProperty("client.id", "bench-requester"))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!echoConsumer.isAssigned()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the echo saga consumer got no partitions within 60 s");
        }
        Thread.sleep(20);
      }
      // Warm up (JIT, connections, the reply consumer's first follow) before measuring.
      saturated(requests, requester, Math.min(2000, saturatedSagas), Math.min(concurrency, 200), "warmup", false);
      counters.reset();
      saturated(requests, requester, saturatedSagas, concurrency, "saga-roundtrip-saturated", true);
      printMetrics("saga-roundtrip-saturated", saturatedSagas);
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
    return 0;
  }

  private static void saturated(SagaRuntime runtime, Saga<Integer> requester, int sagas, int concurrency,
      String scenario, boolean print) throws InterruptedException {
    Semaphore permits = new Semaphore(concurrency);
    long[] latencies = new long[sagas];
    AtomicInteger failures = new AtomicInteger();
    long start = System.nanoTime();
    for (int i = 0; i < sagas; i++) {
      permits.acquire();
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
    double seconds = (System.nanoTime() - start) / 1e9;
    if (print) {
      print(scenario, sagas - failures.get(), seconds, latencies, failures.get());
    }
  }

  /** The paced load in 1 s runs until the JIT is quiet (see {@link #pacedWarmupSeconds}); says how long on stderr. */
  private void pacedWarmup(SagaRuntime runtime, Saga<Integer> requester) throws InterruptedException {
    java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    long last = timed ? jit.getTotalCompilationTime() : 0;
    int quiet = 0;
    int seconds = 0;
    while (seconds < pacedWarmupSeconds && (seconds < 5 || quiet < 2 || !timed)) {
      paced(runtime, requester, rate, 1, "paced-warmup", false);
      seconds++;
      if (timed) {
        long now = jit.getTotalCompilationTime();
        quiet = now - last < 100 ? quiet + 1 : 0;
        last = now;
      }
    }
    System.err.printf(Locale.ROOT, "paced warm-up: %d s at %d sagas/s%s%n", seconds, rate,
        !timed ? "" : quiet >= 2 ? ", JIT quiet" : ", JIT still compiling");
  }

  private static long[] paced(SagaRuntime runtime, Saga<Integer> requester, int rate, int seconds)
      throws InterruptedException {
    return paced(runtime, requester, rate, seconds, "saga-roundtrip-" + rate, true);
  }

  private static long[] paced(SagaRuntime runtime, Saga<Integer> requester, int rate, int seconds, String scenario,
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
  private static void printBreakdown(long[] scheduled) {
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
      System.out.printf(Locale.ROOT, "BREAKDOWN %s->%s p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
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

  private static void print(String scenario, int sagas, double seconds, long[] latencies, int failures) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT,
        "RESULT system=sagaflow scenario=%s sagas=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f%s%n",
        scenario, sagas, seconds, sagas / seconds, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
        failures == 0 ? "" : " failed=" + failures);
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }
}
