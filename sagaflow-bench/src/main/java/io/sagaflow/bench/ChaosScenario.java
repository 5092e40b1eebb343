package io.sagaflow.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import io.sagaflow.testkit.DeliveryCheck;
import picocli.CommandLine.Option;

/**
 * What every {@code sagaflow chaos} scenario shares: the {@code --short} and
 * {@code --session-timeout-ms} options, topic creation, progress lines ({@code # t=12.3s ...}) and
 * a timeline of faults run in order by one thread.
 */
abstract class ChaosScenario implements Callable<Integer> {
  private static final AtomicInteger SEQ = new AtomicInteger();

  @Option(names = "--short",
      description = "Short run for the test suite (well under a minute): fewer and shorter faults, "
          + "session.timeout.ms 6000 unless set")
  boolean shortRun;

  @Option(names = "--session-timeout-ms",
      description = "The processors' consumer session.timeout.ms (default: Kafka's own, 45000; 6000 with --short)")
  Integer sessionTimeoutMs;

  private final long t0 = System.nanoTime();

  /** Where the progress, RESULT and PROMISE lines go (tests capture them). */
  PrintStream out = System.out;

  /** 0 means: leave Kafka's default. */
  int sessionTimeoutMs() {
    return sessionTimeoutMs != null ? sessionTimeoutMs : shortRun ? 6000 : 0;
  }

  /** The explicit value if given, else the full or short default. */
  int pick(Integer explicit, int full, int shortValue) {
    return explicit != null ? explicit : shortRun ? shortValue : full;
  }

  static String unique(String prefix) {
    return prefix + "-" + SEQ.incrementAndGet() + "-" + System.currentTimeMillis() % 1_000_000;
  }

  /** A progress line on stdout, {@code # t=<seconds since start> ...}. */
  void log(String format, Object... args) {
    out.printf(Locale.ROOT, "# t=%.1fs %s%n", (System.nanoTime() - t0) / 1e9, String.format(Locale.ROOT, format, args));
    out.flush();
  }

  static void createTopic(String bootstrap, String name, int partitions, int replication, Map<String, String> configs)
      throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) replication).configs(configs)))
          .all().get(30, TimeUnit.SECONDS);
    }
  }

  /** A step of a timeline. */
  interface Step {
    void run() throws Exception;
  }

  /** Steps at offsets from the start of the fault phase, run in time order by the calling thread. */
  static final class Timeline {
    private record At(long millis, int order, Step step) {}

    private final List<At> steps = new ArrayList<>();

    Timeline at(double seconds, Step step) {
      steps.add(new At(Math.round(seconds * 1000), steps.size(), step));
      return this;
    }

    /** Runs every step at its time (or late, after a slow step), then returns at {@code endSeconds}. */
    void run(double endSeconds) throws Exception {
      long start = System.nanoTime();
      steps.sort(Comparator.comparingLong(At::millis).thenComparingInt(At::order));
      for (At a : steps) {
        pauseUntil(start, a.millis());
        a.step().run();
      }
      pauseUntil(start, Math.round(endSeconds * 1000));
    }

    private static void pauseUntil(long start, long millis) throws InterruptedException {
      long left = millis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (left > 0) {
        Thread.sleep(left); // the schedule of the faults, not synchronisation
      }
    }
  }

  /**
   * The output checked by an independent {@code read_committed} reader against the records the
   * group committed past ({@code committed}, per input partition). {@code lost} in the report are
   * records skipped: committed past but missing from the output. {@code pending} are acknowledged
   * input records the group has not committed yet (a stall, not a loss). Every processor writing
   * the output has stopped by then, so the reader reads to the output's end instead of waiting for
   * a quiet time (3 s per check before); if it cannot reach the end within a minute, it falls back
   * to that quiet time.
   */
  record Check(DeliveryCheck.Report report, long pending) {}

  static Check check(String bootstrap, String output, ChaosLoad load, long[] committed) {
    List<String> due = load.committedBy(committed);
    long pending = load.acknowledged().size() - due.size();
    DeliveryCheck.Report report;
    try {
      report = DeliveryCheck.readToEnd(bootstrap, output, due, Duration.ofSeconds(60));
    } catch (IllegalStateException slowBroker) {
      report = DeliveryCheck.read(bootstrap, output, due, Duration.ofSeconds(3));
    }
    return new Check(report, pending);
  }

  static Duration seconds(int s) {
    return Duration.ofSeconds(s);
  }
}
