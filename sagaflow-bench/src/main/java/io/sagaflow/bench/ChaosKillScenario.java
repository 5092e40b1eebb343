package io.sagaflow.bench;

import java.time.Duration;
import java.util.List;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.testkit.DeliveryCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos eos-kill} and {@code chaos alos-kill}: processor JVMs copying a steady stream of
 * keyed records are SIGKILLed one after the other and restarted at once (same instance id), and
 * for {@code eos-kill} brokers of a 3-broker cluster are stopped and restarted in between. When the
 * faults are over the input stops, the harness waits until the group committed everything, and an
 * independent {@code read_committed} reader checks the output.
 *
 * <p>Promises: exactly-once: nothing lost, nothing duplicated, nothing out of order within a key;
 * at least once: nothing lost, nothing out of order (duplicates reported, also per kill). Both:
 * everything is committed within the drain timeout, by itself.
 */
abstract class ChaosKillScenario extends ChaosScenario {
  @Option(names = "--kills", description = "SIGKILLs of processor JVMs (default 10; 2 with --short)")
  Integer kills;

  @Option(names = "--interval-s", description = "Seconds between kills (default 12; 5 with --short)")
  Integer intervalSeconds;

  @Option(names = "--static-membership",
      description = "Processors join as static members (withInstanceId): a restarted one takes its partitions back "
          + "without a rebalance")
  boolean staticMembership;

  @Option(names = "--processors", description = "Processor JVMs (default 2)")
  Integer processors;

  @Option(names = "--rate", description = "Input records per second (default 1000)")
  Integer rate;

  @Option(names = "--bounce-down-s", description = "Seconds a bounced broker stays down (default 5; 3 with --short)")
  Integer bounceDownSeconds;

  @Option(names = "--drain-timeout-s",
      description = "Seconds allowed, after the faults, to commit everything (default 300; 90 with --short)")
  Integer drainTimeoutSeconds;

  abstract String name();

  abstract boolean exactlyOnce();

  abstract int bounces();

  @Override
  public Integer call() throws Exception {
    int killCount = pick(kills, 10, 2);
    int interval = pick(intervalSeconds, 12, 5);
    int procCount = pick(processors, 2, 2);
    int bounceCount = bounces();
    int bounceDown = pick(bounceDownSeconds, 5, 3);
    int brokers = bounceCount > 0 ? 3 : 1;
    String mode = exactlyOnce() ? "eos" : "alos";
    log("%s: %d processor JVMs (%s), %d SIGKILLs every %d s, %d broker bounces of %d s, %d broker(s), "
        + "session.timeout.ms=%s", name(), procCount, mode, killCount, interval, bounceCount, bounceDown, brokers,
        sessionTimeoutMs() == 0 ? "default" : Integer.toString(sessionTimeoutMs()));
    try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withBrokers(brokers))) {
      String bootstrap = kafka.bootstrapServers();
      String in = unique("chaos-in");
      String out = unique("chaos-out");
      kafka.createTopic(in, 6);
      kafka.createTopic(out, 6);
      ChaosOutcome o = new ChaosOutcome(name());
      int[] done = new int[2]; // kills, bounces
      List<String> expected;
      long failedSends;
      boolean drained;
      double drainSeconds;
      double stall;
      double idle;
      long[] finalCommitted;
      ChaosLoad load = new ChaosLoad(bootstrap, in, pick(rate, 1000, 1000)); // its record stays readable after close
      try (load; ChaosProcessors procs = new ChaosProcessors(procCount, mode, bootstrap, in, out, unique("chaos-g"),
          sessionTimeoutMs(), false).staticMembership(staticMembership)) {
        procs.startAllReady(seconds(120));
        log("processors ready; input starts");
        load.start();
        try (ChaosMonitor monitor = new ChaosMonitor(bootstrap, procs.group(), in, 6)) {
          Timeline t = new Timeline();
          for (int k = 0; k < killCount; k++) {
            int slot = k % procCount;
            t.at((k + 0.5) * interval, () -> {
              procs.kill(slot);
              done[0]++;
              log("SIGKILL %d: processor p%d (committed %d); restarting it", done[0], slot, monitor.committedTotal());
              procs.start(slot);
            });
          }
          double length = (double) killCount * interval;
          for (int b = 0; b < bounceCount; b++) {
            int broker = kafka.brokerIds().get(b % kafka.brokerIds().size());
            double at = (b + 1) * length / (bounceCount + 1) + 0.25 * interval;
            t.at(at, () -> {
              log("broker %d: stopping", broker);
              kafka.stopBroker(broker);
              log("broker %d: stopped", broker);
            });
            t.at(at + bounceDown, () -> {
              kafka.restartBroker(broker);
              done[1]++;
              log("broker %d: restarted", broker);
            });
          }
          t.run(length);
          load.stop();
          log("faults over; input stopped; waiting until everything is committed");
          monitor.awaitSample(seconds(60));
          long drainStart = System.nanoTime();
          drained = monitor.awaitCommitted(monitor.end(), seconds(pick(drainTimeoutSeconds, 300, 90)));
          drainSeconds = (System.nanoTime() - drainStart) / 1e9;
          stall = monitor.maxStallSeconds();
          idle = monitor.maxPartitionIdleSeconds(-1);
          finalCommitted = monitor.committed();
        }
        expected = load.acknowledged();
        log("processor logs: %s", procs.saveLogs());
        failedSends = load.failed();
        if (!drained) {
          log("not drained; last lines of the processors:");
          procs.lastLinesOfAll(10).forEach(l -> this.out.println("#   " + l));
        }
      }
      Check check = check(bootstrap, out, load, finalCommitted);
      DeliveryCheck.Report r = check.report();
      o.put("records", expected.size()).put("kills", done[0]).put("lost", r.lost()).put("duplicates", r.duplicates())
          .put("reordered", r.reordered()).put("max_stall_s", stall).put("max_partition_idle_s", idle)
          .put("bounces", done[1]).put("drained", drained).put("drain_s", drainSeconds)
          .put("pending", check.pending()).put("failed_sends", failedSends)
          .put("membership", staticMembership ? "static" : "dynamic");
      if (!exactlyOnce()) {
        o.put("duplicates_per_kill", done[0] == 0 ? null : (double) r.duplicates() / done[0]);
      }
      o.promise(done[0] >= killCount && done[1] >= bounceCount, "all faults injected",
          done[0] + " of " + killCount + " kills, " + done[1] + " of " + bounceCount + " bounces");
      o.promise(r.lost() == 0, "lost = 0", r.lost() + " lost, e.g. " + r.lostSample());
      if (exactlyOnce()) {
        o.promise(r.duplicates() == 0, "duplicates = 0", r.duplicates() + " duplicates in committed output");
      }
      o.promise(r.reordered() == 0, "reordered = 0", r.reordered() + " records out of order within their key");
      o.promise(drained, "everything committed by itself after the faults",
          check.pending() + " input records still not committed " + Math.round(drainSeconds) + " s after the faults");
      return o.print(this.out);
    }
  }

  @Command(name = "eos-kill", mixinStandardHelpOptions = true,
      description = "Exactly-once copy through SIGKILLs of processor JVMs and 2 broker bounces (3 brokers): "
          + "lost = duplicates = reordered = 0.")
  static final class EosKill extends ChaosKillScenario {
    @Option(names = "--bounces", description = "Broker bounces (default 2; 1 with --short)")
    Integer bounceOption;

    @Override
    String name() {
      return "eos-kill";
    }

    @Override
    boolean exactlyOnce() {
      return true;
    }

    @Override
    int bounces() {
      return pick(bounceOption, 2, 1);
    }
  }

  @Command(name = "alos-kill", mixinStandardHelpOptions = true,
      description = "At-least-once copy through SIGKILLs of processor JVMs: lost = reordered = 0, "
          + "duplicates reported per kill.")
  static final class AlosKill extends ChaosKillScenario {
    @Override
    String name() {
      return "alos-kill";
    }

    @Override
    boolean exactlyOnce() {
      return false;
    }

    @Override
    int bounces() {
      return 0;
    }
  }
}
