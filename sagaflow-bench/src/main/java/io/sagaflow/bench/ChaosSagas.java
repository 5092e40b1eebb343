package io.sagaflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.sagaflow.cli.DurationConverter;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.DurableOptions;
import io.sagaflow.testkit.ChildJvm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos sagas}: durable sagas through SIGKILLs of the JVMs that run them.
 *
 * <p>Design. The orchestrator hosts the embedded broker and starts an echo participant JVM and
 * {@code --saga-jvms} durable saga consumer JVMs of one group ({@link ChaosSagaChildMain}). It plans
 * the kills first (random gaps of {@code --min-interval-s} to {@code --max-interval-s}), then
 * spreads the starts of {@code --sagas} sagas evenly over the kill phase, so that sagas are in
 * flight at every kill. Each kill is a SIGKILL ({@code Process.destroyForcibly}) of one saga JVM,
 * restarted at once, with the same stable instance id (unless {@code --random-instance-ids}), so
 * that it fences and aborts a journal transaction the killed JVM left open instead of waiting for
 * it to time out; its restart time is the time from the kill until the new JVM holds partitions. After the last kill, the sagas have {@code --stuck-bound-s} (plus the delay) to
 * complete. Then the JVMs are stopped and the checker ({@link SagaOutputCheck}, {@code
 * read_committed}) counts the outputs and requests. A saga without an output is {@code stuck} when
 * its run is still live in the journal (or its input was not committed past), {@code lost}
 * otherwise (its input committed past and its run gone from the journal, or dead-lettered).
 *
 * <p>With {@code --delay d} the sagas wait {@code ctx.delay(d)} and put their output, and each must
 * end no earlier than {@code d} after its start record and no later than {@code d} plus the longest
 * restart time plus 2 s.
 */
@Command(name = "sagas", mixinStandardHelpOptions = true,
    description = "Durable three-step sagas (or delays) through SIGKILLs of their JVMs: every saga completes once, "
        + "every put once, none lost, none stuck.")
final class ChaosSagas extends ChaosScenario {
  private static final int PARTITIONS = 6;

  @Option(names = "--sagas", description = "Sagas started (default 2000; 200 with --short)")
  Integer sagas;

  @Option(names = "--kills", description = "SIGKILLs of saga JVMs, each restarted at once (default 5; 2 with --short)")
  Integer kills;

  @Option(names = "--min-interval-s", description = "Shortest gap between kills (default 5; 3 with --short)")
  Integer minInterval;

  @Option(names = "--max-interval-s", description = "Longest gap between kills (default 15; 5 with --short)")
  Integer maxInterval;

  @Option(names = "--saga-jvms", description = "Durable saga consumer JVMs of the group (default 2)")
  Integer sagaJvms;

  @Option(names = "--stuck-bound-s",
      description = "Seconds after the last restart is ready within which every saga must complete (default 90; 60 with --short), "
          + "plus the delay")
  Integer stuckBound;

  @Option(names = "--delay", converter = DurationConverter.class,
      description = "Timer sagas: each waits ctx.delay(<delay>) then puts its output (default: the three-step saga)")
  Duration delay;

  @Option(names = "--random-instance-ids",
      description = "Saga JVMs without a stable identity: a restarted JVM cannot fence what the killed one left open,"
          + " so a kill during a journal transaction holds its sagas until the transaction times out (15 s)."
          + " By default each saga JVM slot has a stable instance id (DurableOptions.withInstanceId), the same after"
          + " its restart, as a pod of a StatefulSet has")
  boolean randomInstanceIds;

  @Option(names = "--seed", description = "Seed of the kill times (default: random)")
  Long seed;

  /** This scenario's default session timeout is 10 s (6 s with --short): a killed member leaves soon. */
  @Override
  int sessionTimeoutMs() {
    return sessionTimeoutMs != null ? sessionTimeoutMs : shortRun ? 6000 : 10_000;
  }

  @Override
  public Integer call() throws Exception {
    int n = pick(sagas, 2000, 200);
    int killCount = pick(kills, 5, 2);
    int minGap = pick(minInterval, 5, 3);
    int maxGap = Math.max(minGap, pick(maxInterval, 15, 5));
    int jvms = pick(sagaJvms, 2, 2);
    long delayMs = delay == null ? 0 : delay.toMillis();
    int bound = pick(stuckBound, 90, 60) + (int) Math.ceil(delayMs / 1000.0);
    long s = seed != null ? seed : System.nanoTime();
    Random random = new Random(s);
    double[] killAt = new double[killCount];
    double t = 0;
    for (int k = 0; k < killCount; k++) {
      t += minGap + random.nextDouble() * (maxGap - minGap);
      killAt[k] = t;
    }
    double phase = killCount == 0 ? minGap : killAt[killCount - 1];
    log("chaos sagas: %d %s sagas over %.1f s, %d SIGKILLs of %d durable saga JVMs (gaps %d-%d s, seed %d), "
        + "session.timeout.ms=%d, stuck bound %d s", n, delayMs > 0 ? "delay(" + delayMs + " ms)" : "three-step",
        phase, killCount, jvms, minGap, maxGap, s, sessionTimeoutMs(), bound);

    EmbeddedKafkaOptions brokerOptions = EmbeddedKafkaOptions.defaults();
    if (shortRun) {
      // A killed JVM's open journal transaction blocks its partitions' new owner until the broker
      // aborts it: the transaction timeout (15 s) plus the broker's check interval, 10 s by
      // default. Short runs check every second, so a restart waits for the timeout, not the timer.
      brokerOptions = brokerOptions.withBrokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start(brokerOptions)) {
      String bootstrap = kafka.bootstrapServers();
      String start = unique("chaos-saga-start");
      String request = unique("chaos-saga-request");
      String reply = unique("chaos-saga-reply");
      String output = unique("chaos-saga-output");
      String group = unique("chaos-sagas-g");
      for (String topic : List.of(start, request, reply, output)) {
        kafka.createTopic(topic, PARTITIONS);
      }
      String[] common = {bootstrap, start, request, reply, output};
      List<ChildJvm> all = new ArrayList<>();
      ChildJvm[] slots = new ChildJvm[jvms];
      double[] restartSeconds = new double[killCount];
      long[] killWall = new long[killCount];
      long[] readyWall = new long[killCount]; // 0: killed again before it was ready
      int killsDone = 0;
      Set<String> txs = new HashSet<>();
      AtomicReferenceArray<RecordMetadata> started = new AtomicReferenceArray<>(n);
      SagaOutputCheck.Report report;
      try (SagaOutputCheck checker = new SagaOutputCheck(bootstrap, request, output)) {
        try {
          ChildJvm echo = child(all, "echo", common, group + "-echo", 0, -1);
          for (int i = 0; i < jvms; i++) {
            slots[i] = child(all, "saga", common, group, delayMs, i);
          }
          echo.awaitLine("READY"::equals, seconds(180));
          for (ChildJvm slot : slots) {
            slot.awaitLine("READY"::equals, seconds(180));
          }
          log("echo and %d saga JVMs ready; sagas start, kills follow", jvms);
          Thread producer = startProducer(bootstrap, start, n, phase, txs, started);
          Timeline timeline = new Timeline();
          long[] killNanos = new long[killCount];
          Thread[] restarts = new Thread[killCount];
          int[] done = {0};
          Set<ChildJvm> killedByUs = java.util.concurrent.ConcurrentHashMap.newKeySet();
          for (int k = 0; k < killCount; k++) {
            int kill = k;
            int slot = k % jvms;
            timeline.at(killAt[k], () -> {
              ChildJvm victim = slots[slot];
              killedByUs.add(victim);
              victim.kill();
              killNanos[kill] = System.nanoTime();
              killWall[kill] = System.currentTimeMillis();
              ChildJvm next = child(all, "saga", common, group, delayMs, slot);
              slots[slot] = next;
              done[0]++;
              log("SIGKILL %d: saga JVM %d (pid %d), restarted as pid %d; completed so far %d", done[0], slot,
                  victim.pid(), next.pid(), checker.completed(txs()));
              restarts[kill] = Thread.ofVirtual().start(() -> {
                try {
                  next.awaitLine("READY"::equals, seconds(180));
                  restartSeconds[kill] = (System.nanoTime() - killNanos[kill]) / 1e9;
                  readyWall[kill] = System.currentTimeMillis();
                } catch (InterruptedException | AssertionError e) {
                  // Killed again before it was ready (the next kill of its slot came first): that kill's restart
                  // counts; -1 when it was not killed by us (it died or never got partitions).
                  restartSeconds[kill] = next.isAlive() || !killedByUs.contains(next) ? -1 : Double.NaN;
                }
              });
            });
          }
          timeline.run(phase);
          producer.join();
          killsDone = done[0];
          for (Thread r : restarts) {
            if (r != null) {
              r.join();
            }
          }
          Set<String> expected = acknowledged(started, n);
          long last = System.nanoTime();
          long limit = last + TimeUnit.SECONDS.toNanos(bound);
          int completed = checker.completed(expected);
          for (int tick = 1; completed < expected.size() && System.nanoTime() < limit; tick++) {
            Thread.sleep(500); // polling the checker's count, not synchronisation
            completed = checker.completed(expected);
            if (tick % 20 == 0) {
              log("completed %d of %d", completed, expected.size());
            }
          }
          log("after the last kill: %d of %d sagas completed in %.1f s", completed, expected.size(),
              (System.nanoTime() - last) / 1e9);
          txs.clear();
          txs.addAll(expected);
        } finally {
          log("saga JVM logs: %s", saveLogs(all, group));
          for (ChildJvm c : all) {
            if (c.isAlive()) {
              try {
                c.terminate(seconds(30));
              } catch (AssertionError e) {
                c.close();
              }
            }
            c.close();
          }
        }
        report = checker.finish(txs, delayMs == 0, seconds(60));
      }
      outages = outages(killWall, readyWall, jvms);
      return judge(bootstrap, group, start, n, killCount, killsDone, killAt, restartSeconds, delayMs, txs, started,
          report);
    }
  }

  private Set<String> txsView = Set.of();

  private Set<String> txs() {
    return txsView;
  }

  /** A child JVM; {@code slot} (-1: none) names a saga JVM's stable instance id unless {@link #randomInstanceIds}. */
  private ChildJvm child(List<ChildJvm> all, String role, String[] common, String group, long delayMs, int slot)
      throws IOException {
    List<String> args = new ArrayList<>();
    args.add(role);
    args.addAll(List.of(common));
    args.add(group);
    args.add(Integer.toString(sessionTimeoutMs()));
    args.add(Long.toString(delayMs));
    args.add(slot < 0 || randomInstanceIds ? "-" : group + "-slot-" + slot);
    ChildJvm c = ChildJvm.start(ChaosSagaChildMain.class, args.toArray(String[]::new));
    synchronized (all) {
      all.add(c);
    }
    return c;
  }

  private static String tx(int i) {
    return String.format(Locale.ROOT, "saga-%06d", i);
  }

  /** Starts {@code n} sagas evenly over {@code seconds}, from an idempotent acks=all producer. */
  private Thread startProducer(String bootstrap, String topic, int n, double seconds, Set<String> txs,
      AtomicReferenceArray<RecordMetadata> started) {
    for (int i = 0; i < n; i++) {
      txs.add(tx(i));
    }
    txsView = Set.copyOf(txs);
    ActionCodec codec = ActionCodec.create();
    return Thread.ofPlatform().name("chaos-sagas-starter").start(() -> {
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all",
          "enable.idempotence", true, "linger.ms", 5), new ByteArraySerializer(), new ByteArraySerializer())) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long due = t0 + (long) (i * seconds * 1e9 / n);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait); // the schedule of the starts
          }
          int index = i;
          p.send(codec.toRecord(Action.of(topic, tx(i), i)), (md, e) -> {
            if (e == null) {
              started.set(index, md);
            }
          });
        }
        p.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  private static Set<String> acknowledged(AtomicReferenceArray<RecordMetadata> started, int n) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (started.get(i) != null) {
        out.add(tx(i));
      }
    }
    return out;
  }

  private int judge(String bootstrap, String group, String start, int n, int killCount, int killsDone,
      double[] killAt, double[] restartSeconds, long delayMs, Set<String> expected,
      AtomicReferenceArray<RecordMetadata> started, SagaOutputCheck.Report report) throws Exception {
    Set<String> live = liveRuns(bootstrap, group + DurableOptions.JOURNAL_SUFFIX);
    Map<TopicPartition, OffsetAndMetadata> committed;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    }
    int stuck = 0;
    int lost = 0;
    List<String> lostSample = new ArrayList<>();
    List<String> stuckSample = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RecordMetadata md = started.get(i);
      if (md == null || report.completed().contains(tx(i))) {
        continue;
      }
      String runKey = start + "-" + md.partition() + "@" + md.offset();
      OffsetAndMetadata c = committed.get(new TopicPartition(start, md.partition()));
      boolean committedPast = c != null && c.offset() > md.offset();
      if (live.contains(runKey) || !committedPast) {
        stuck++;
        if (stuckSample.size() < 5) {
          stuckSample.add(tx(i) + (committedPast ? " (live in the journal)" : " (input not committed)"));
        }
      } else {
        lost++;
        if (lostSample.size() < 5) {
          lostSample.add(tx(i) + " (" + runKey + ")");
        }
      }
    }
    long deadLetters = count(bootstrap, start + "-dlt");
    int completed = report.completed().size();
    long duplicates = report.duplicatePuts();
    out.printf(Locale.ROOT, "RESULT system=sagaflow-durable scenario=chaos-sagas sagas=%d kills=%d completed=%d "
        + "duplicate_puts=%d lost=%d stuck=%d%n", n, killsDone, completed, duplicates, lost, stuck);
    double maxRestart = 0;
    for (double r : restartSeconds) {
      if (!Double.isNaN(r)) {
        maxRestart = Math.max(maxRestart, r);
      }
    }
    out.printf(Locale.ROOT, "# acknowledged starts=%d dead_letters=%d request_puts=%d live_in_journal=%d "
        + "completed_missing_a_request=%d max_restart_s=%.1f checker_caught_up=%s undecodable=%d%n", expected.size(),
        deadLetters, report.requestPuts(), live.size(), report.missingRequests(), maxRestart, report.caughtUp(),
        report.undecodable());
    StringBuilder restarts = new StringBuilder();
    for (double r : restartSeconds) {
      restarts.append(restarts.isEmpty() ? "" : ",")
          .append(Double.isNaN(r) ? "killed_before_ready" : String.format(Locale.ROOT, "%.1f", r));
    }
    out.println("# restart_s per kill (SIGKILL to the new JVM holding partitions): " + restarts);
    if (!lostSample.isEmpty()) {
      out.println("# lost, e.g. " + lostSample);
    }
    if (!stuckSample.isEmpty()) {
      out.println("# stuck, e.g. " + stuckSample);
    }
    boolean ok = completed == n && duplicates == 0 && lost == 0 && stuck == 0 && killsDone >= killCount
        && report.missingRequests() == 0;
    for (double r : restartSeconds) {
      ok &= Double.isNaN(r) || r >= 0; // NaN: killed again before it was ready
    }
    if (delayMs > 0) {
      ok &= timers(delayMs, killAt, maxRestart, started, report, n);
    }
    out.flush();
    return ok ? 0 : 1;
  }

  /** Wall-clock windows [kill, the slot's next JVM ready]: a JVM killed before it was ready extends its slot's window. */
  private long[][] outages = new long[0][];

  private static long[][] outages(long[] killWall, long[] readyWall, int jvms) {
    List<long[]> windows = new ArrayList<>();
    for (int k = 0; k < killWall.length; k++) {
      long end = Long.MAX_VALUE;
      for (int j = k; j < killWall.length; j += jvms) {
        if (readyWall[j] > 0) {
          end = readyWall[j];
          break;
        }
      }
      if (killWall[k] > 0) {
        windows.add(new long[] {killWall[k], end});
      }
    }
    return windows.toArray(long[][]::new);
  }

  /**
   * The longest outage in ms: from a kill until its slot's next JVM is ready, chained through
   * kills before ready (kills closer together than a restart takes); the restart time of a lone kill.
   */
  private long longestOutage() {
    long longest = 0;
    for (long[] w : outages) {
      longest = Math.max(longest, w[1] == Long.MAX_VALUE ? Long.MAX_VALUE / 4 : w[1] - w[0]);
    }
    return longest;
  }

  /**
   * The timer check: each output no earlier than its delay after its start, and no later than the
   * delay plus the restart time plus 2 s; the restart time is the longest outage (a lone kill's
   * restart, or a chain of kills each before the previous restart was ready).
   */
  private boolean timers(long delayMs, double[] killAt, double maxRestart,
      AtomicReferenceArray<RecordMetadata> started, SagaOutputCheck.Report report, int n) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    long boundMs = Math.max(Math.round(maxRestart * 1000), longestOutage()) + 2000;
    int early = 0;
    int late = 0;
    int midDelay = 0;
    long first = Long.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      RecordMetadata md = started.get(i);
      if (md != null) {
        first = Math.min(first, md.timestamp());
      }
    }
    for (int i = 0; i < n; i++) {
      RecordMetadata md = started.get(i);
      Long end = report.outputAt().get(tx(i));
      if (md == null || end == null) {
        continue;
      }
      long lateness = end - md.timestamp() - delayMs;
      min = Math.min(min, lateness);
      max = Math.max(max, lateness);
      if (lateness < 0) {
        early++;
      } else if (lateness > boundMs) {
        late++;
      }
      double startS = (md.timestamp() - first) / 1000.0;
      for (double k : killAt) {
        if (k >= startS && k <= startS + delayMs / 1000.0) {
          midDelay++;
          break;
        }
      }
    }
    out.printf(Locale.ROOT, "TIMERS delay_ms=%d killed_mid_delay=%d min_lateness_ms=%s max_lateness_ms=%s "
        + "bound_ms=%d early=%d late=%d%n", delayMs, midDelay, min == Long.MAX_VALUE ? "-" : Long.toString(min),
        max == Long.MIN_VALUE ? "-" : Long.toString(max), boundMs, early, late);
    return early == 0 && late == 0;
  }

  /** The run keys whose latest journal record is a value (not a tombstone), read_committed. */
  private static Set<String> liveRuns(String bootstrap, String journal) {
    Map<String, Boolean> latest = new HashMap<>();
    forEachRecord(bootstrap, journal, r -> {
      if (r.key() != null) {
        latest.put(SagaOutputCheck.utf8(r.key()), r.value() != null);
      }
    });
    Set<String> live = new HashSet<>();
    latest.forEach((k, v) -> {
      if (v) {
        live.add(k);
      }
    });
    return live;
  }

  private static long count(String bootstrap, String topic) {
    long[] n = {0};
    forEachRecord(bootstrap, topic, r -> n[0]++);
    return n[0];
  }

  private static void forEachRecord(String bootstrap, String topic,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> action) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "enable.auto.commit", false), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      var infos = c.partitionsFor(topic, Duration.ofSeconds(10));
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(action);
      }
    }
  }

  private static Path saveLogs(List<ChildJvm> all, String group) throws IOException {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "sagaflow-chaos", group);
    Files.createDirectories(dir);
    synchronized (all) {
      for (int i = 0; i < all.size(); i++) {
        Files.write(dir.resolve(i + ".log"), all.get(i).output());
      }
    }
    return dir;
  }
}
