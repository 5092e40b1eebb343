package io.sagaflow.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.testkit.DeliveryCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos broker-outage}: every broker of a 3-broker cluster stops (the controller stays up)
 * for a while and then starts again, under a steady input. One processor JVM per mode copies the
 * same input in its own group. Promises per mode: it resumes by itself (commits again within the
 * resume bound after the brokers are back, and its JVM is still running), nothing lost or out of
 * order (exactly-once: nothing duplicated); the processor's status health is DOWN while every
 * broker is down and UP again by itself at the end ({@code health_down_s}, {@code final_health}).
 */
@Command(name = "broker-outage", mixinStandardHelpOptions = true,
    description = "Every broker down for 20 s: the processor resumes by itself, lost = 0.")
final class ChaosBrokerOutage extends ChaosScenario {
  @Option(names = "--outage-s", description = "Seconds every broker stays down (default 20; 10 with --short)")
  Integer outageSeconds;

  @Option(names = "--modes", split = ",", defaultValue = "alos,eos",
      description = "Processing modes, each in its own JVM and group at the same time (default ${DEFAULT-VALUE})")
  List<String> modes;

  @Option(names = "--rate", description = "Input records per second (default 500)")
  Integer rate;

  @Option(names = "--resume-bound-s", description = "Seconds allowed to commit again after the brokers are back (default 60)")
  Integer resumeBoundSeconds;

  @Option(names = "--drain-timeout-s", description = "Seconds allowed to commit everything at the end (default 120; 60 with --short)")
  Integer drainTimeoutSeconds;

  @Override
  public Integer call() throws Exception {
    int outage = pick(outageSeconds, 20, 10);
    int resumeBound = pick(resumeBoundSeconds, 60, 60);
    log("broker-outage: all 3 brokers down for %d s; modes %s", outage, modes);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withBrokers(3))) {
      String bootstrap = kafka.bootstrapServers();
      String in = unique("chaos-in");
      kafka.createTopic(in, 6);
      List<ChaosProcessors> pools = new ArrayList<>();
      List<ChaosMonitor> monitors = new ArrayList<>();
      int exit = 0;
      try (ChaosLoad load = new ChaosLoad(bootstrap, in, pick(rate, 500, 500))) {
        for (String mode : modes) {
          String out = unique("chaos-out-" + mode);
          kafka.createTopic(out, 6);
          ChaosProcessors p = new ChaosProcessors(1, mode, bootstrap, in, out, unique("chaos-g-" + mode),
              sessionTimeoutMs(), false);
          pools.add(p);
          p.start(0);
        }
        for (ChaosProcessors p : pools) {
          p.startReadyAwait(0, seconds(120));
        }
        log("processors ready; input starts");
        load.start();
        for (ChaosProcessors p : pools) {
          monitors.add(new ChaosMonitor(bootstrap, p.group(), in, 6));
        }
        long[] atRestart = new long[pools.size()];
        long[] downWindow = new long[2]; // epoch ms: every broker stopped, every broker restarted
        double[] resumed = new double[pools.size()];
        new Timeline()
            .at(pick(null, 5, 3), () -> {
              log("stopping every broker");
              for (int b : kafka.brokerIds().reversed()) {
                kafka.stopBroker(b);
              }
              log("every broker stopped");
              downWindow[0] = System.currentTimeMillis();
              new Timeline().run(outage); // the outage counts from the last broker down
              for (int b : kafka.brokerIds()) {
                kafka.restartBroker(b);
              }
              log("every broker restarted");
              downWindow[1] = System.currentTimeMillis();
              for (int i = 0; i < pools.size(); i++) {
                monitors.get(i).awaitSample(seconds(30));
                atRestart[i] = monitors.get(i).committedTotal();
              }
            })
            .run(pick(null, 5, 3));
        long back = System.nanoTime();
        for (int i = 0; i < pools.size(); i++) {
          boolean ok = monitors.get(i).awaitCommittedAbove(atRestart[i], seconds(resumeBound));
          resumed[i] = ok ? (System.nanoTime() - back) / 1e9 : -1;
          log("%s: %s", modes.get(i), ok ? "committing again" : "no commit progress within " + resumeBound + " s");
        }
        new Timeline().run(3); // some input after the outage too
        load.stop();
        log("input stopped; waiting until everything is committed");
        boolean[] drained = new boolean[pools.size()];
        for (int i = 0; i < pools.size(); i++) {
          monitors.get(i).awaitSample(seconds(60));
          drained[i] = monitors.get(i).awaitCommitted(monitors.get(i).end(), seconds(pick(drainTimeoutSeconds, 120, 60)));
        }
        List<String> expected = load.acknowledged();
        List<long[]> finalCommitted = monitors.stream().map(ChaosMonitor::committed).toList();
        for (int i = 0; i < pools.size(); i++) {
          ChaosProcessors p = pools.get(i);
          log("%s processor logs: %s", modes.get(i), p.saveLogs());
          boolean alive = p.isAlive(0);
          Health health = Health.of(p.lines(0), downWindow[0], downWindow[1]);
          if (alive && !drained[i]) {
            log("%s thread dump: %s", modes.get(i), p.dumpThreads(0).map(Object::toString).orElse("(failed)"));
          }
          if (!alive || !drained[i]) {
            p.lastLinesOfAll(10).forEach(l -> out.println("#   " + l));
          }
          p.close();
          monitors.get(i).close();
          String mode = modes.get(i);
          Check check = check(bootstrap, p.output(), load, finalCommitted.get(i));
          DeliveryCheck.Report r = check.report();
          ChaosOutcome o = new ChaosOutcome("broker-outage")
              .put("records", expected.size()).put("kills", 0).put("lost", r.lost()).put("duplicates", r.duplicates())
              .put("reordered", r.reordered()).put("max_stall_s", monitors.get(i).maxStallSeconds()).put("mode", mode)
              .put("outage_s", outage).put("resumed_after_s", resumed[i] < 0 ? null : resumed[i])
              .put("processor_alive", alive).put("drained", drained[i]).put("pending", check.pending()).put("failed_sends", load.failed())
              .put("health_down_s", health.downSeconds()).put("final_health", health.last());
          o.promise(resumed[i] >= 0 && alive && drained[i], "resumes by itself",
              "commits again: " + (resumed[i] >= 0) + ", processor JVM alive: " + alive + ", input records not committed "
                  + pick(drainTimeoutSeconds, 120, 60) + " s after the input stopped: " + check.pending());
          o.promise(health.downSeconds() > 0 && health.last().equals("UP"),
              "status health DOWN while every broker is down, UP again by itself",
              "DOWN for " + health.downSeconds() + " s between the last stop and the last restart; at the end: "
                  + health.lastLine());
          o.promise(r.lost() == 0, "lost = 0", r.lost() + " lost, e.g. " + r.lostSample());
          o.promise(r.reordered() == 0, "reordered = 0", r.reordered() + " out of order within their key");
          if (mode.equals("eos")) {
            o.promise(r.duplicates() == 0, "duplicates = 0 (exactly-once)", r.duplicates() + " duplicates");
          }
          exit |= o.print(out);
        }
      } finally {
        pools.forEach(ChaosProcessors::close);
        monitors.forEach(ChaosMonitor::close);
      }
      return exit;
    }
  }

  /**
   * What the processor's own status said ({@code status_health} of its STATUS lines): seconds seen
   * DOWN between {@code fromMillis} and {@code toMillis} (sampled every 500 ms), and the last value.
   */
  record Health(double downSeconds, String last, String lastLine) {
    private static final java.util.regex.Pattern LINE =
        java.util.regex.Pattern.compile("^STATUS t=(\\d+) .*status_health=(\\S+) .*$");

    static Health of(List<String> lines, long fromMillis, long toMillis) {
      long down = 0;
      String last = "-";
      String lastLine = "-";
      for (String l : lines) {
        java.util.regex.Matcher m = LINE.matcher(l);
        if (m.matches()) {
          long t = Long.parseLong(m.group(1));
          last = m.group(2);
          lastLine = l;
          if (last.equals("DOWN") && t >= fromMillis && t <= toMillis) {
            down += 500;
          }
        }
      }
      return new Health(down / 1e3, last, lastLine);
    }
  }
}
