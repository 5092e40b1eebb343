package io.sagaflow.bench;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.testkit.DeliveryCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos rebalance-storm}: a pool of processor JVMs in one group where, every interval, one
 * member joins and the longest-running one leaves (SIGTERM, a graceful leave), so the group
 * rebalances about twice per interval while a steady input flows. Promises: nothing lost or out of
 * order, and no partition with lag idle longer than the bound.
 */
@Command(name = "rebalance-storm", mixinStandardHelpOptions = true,
    description = "Processor JVMs joining and leaving every 5 s for 2 min: lost = 0, no partition with lag idle > 30 s.")
final class ChaosRebalanceStorm extends ChaosScenario {
  @Option(names = "--duration-s", description = "Seconds of joining and leaving (default 120; 20 with --short)")
  Integer durationSeconds;

  @Option(names = "--interval-s", description = "Seconds between changes (default 5)")
  Integer intervalSeconds;

  @Option(names = "--processors", description = "Processor JVM slots, half of them running at a time (default 4)")
  Integer processors;

  @Option(names = "--mode", defaultValue = "alos", description = "alos or eos (default ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--rate", description = "Input records per second (default 500)")
  Integer rate;

  @Option(names = "--idle-bound-s", description = "Longest allowed idle time of a partition with lag (default 30)")
  Integer idleBoundSeconds;

  @Option(names = "--drain-timeout-s",
      description = "Seconds allowed, after the storm, to commit everything (default 120; 60 with --short)")
  Integer drainTimeoutSeconds;

  @Override
  public Integer call() throws Exception {
    int duration = pick(durationSeconds, 120, 20);
    int interval = pick(intervalSeconds, 5, 5);
    int slots = pick(processors, 4, 4);
    int idleBound = pick(idleBoundSeconds, 30, 30);
    if (slots < 2) {
      throw new IllegalArgumentException("--processors (" + slots + ") must be at least 2: one joins as one leaves");
    }
    log("rebalance-storm: %d processor slots (%s), one joins and one leaves every %d s for %d s", slots, mode,
        interval, duration);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      String in = unique("chaos-in");
      String out = unique("chaos-out");
      kafka.createTopic(in, 6);
      kafka.createTopic(out, 6);
      AtomicInteger joins = new AtomicInteger();
      AtomicInteger leaves = new AtomicInteger();
      List<String> expected;
      boolean drained;
      double stall;
      double idle;
      long[] finalCommitted;
      ChaosLoad load = new ChaosLoad(bootstrap, in, pick(rate, 500, 500)); // its record stays readable after close
      try (load; ChaosProcessors procs = new ChaosProcessors(slots, mode, bootstrap, in, out, unique("chaos-g"),
          sessionTimeoutMs(), false)) {
        Deque<Integer> running = new ArrayDeque<>();
        Deque<Integer> stopped = new ArrayDeque<>();
        int initial = slots / 2;
        for (int i = 0; i < slots; i++) {
          (i < initial ? running : stopped).add(i);
        }
        for (int i : running) {
          procs.start(i);
        }
        for (int i : running) {
          procs.startReadyAwait(i, seconds(120));
        }
        log("%d processors ready; input starts", initial);
        load.start();
        try (ChaosMonitor monitor = new ChaosMonitor(bootstrap, procs.group(), in, 6)) {
          Timeline t = new Timeline();
          for (double at = interval; at <= duration; at += interval) {
            t.at(at, () -> {
              Integer joiner;
              synchronized (stopped) {
                joiner = stopped.poll();
              }
              if (joiner == null) {
                log("no stopped slot yet (leavers still closing): no change this time");
                return;
              }
              procs.start(joiner);
              running.add(joiner);
              joins.incrementAndGet();
              int leaver = running.poll();
              leaves.incrementAndGet();
              log("p%d joins, p%d leaves (committed %d)", joiner, leaver, monitor.committedTotal());
              Thread.ofVirtual().start(() -> {
                try {
                  procs.terminate(leaver, seconds(60));
                } catch (InterruptedException | AssertionError e) {
                  log("p%d did not leave cleanly: %s", leaver, e);
                  try {
                    procs.kill(leaver);
                  } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                  }
                }
                synchronized (stopped) {
                  stopped.add(leaver);
                }
              });
            });
          }
          t.run(duration);
          load.stop();
          log("storm over; input stopped; waiting until everything is committed");
          monitor.awaitSample(seconds(60));
          drained = monitor.awaitCommitted(monitor.end(), seconds(pick(drainTimeoutSeconds, 120, 60)));
          stall = monitor.maxStallSeconds();
          idle = monitor.maxPartitionIdleSeconds(-1);
          finalCommitted = monitor.committed();
        }
        expected = load.acknowledged();
        log("processor logs: %s", procs.saveLogs());
      }
      Check check = check(bootstrap, out, load, finalCommitted);
      DeliveryCheck.Report r = check.report();
      ChaosOutcome o = new ChaosOutcome("rebalance-storm")
          .put("records", expected.size()).put("kills", 0).put("lost", r.lost()).put("duplicates", r.duplicates())
          .put("reordered", r.reordered()).put("max_stall_s", stall).put("mode", mode)
          .put("joins", joins.get()).put("leaves", leaves.get()).put("max_partition_idle_s", idle)
          .put("drained", drained).put("pending", check.pending());
      o.promise(r.lost() == 0, "lost = 0", r.lost() + " lost, e.g. " + r.lostSample());
      o.promise(r.reordered() == 0, "reordered = 0", r.reordered() + " records out of order within their key");
      if (mode.equals("eos")) {
        o.promise(r.duplicates() == 0, "duplicates = 0 (exactly-once)", r.duplicates() + " duplicates");
      }
      o.promise(idle <= idleBound, "no partition with lag idle > " + idleBound + " s",
          String.format(java.util.Locale.ROOT, "a partition with lag made no commit progress for %.1f s", idle));
      o.promise(drained, "everything committed by itself after the storm", check.pending() + " input records still not committed after the drain timeout");
      return o.print(this.out);
    }
  }
}
