package io.sagaflow.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos unreachable}: a processor JVM per mode pointed at a port where nothing listens. The
 * promise per mode: within the bound, the processor says so itself: its status leaves RUNNING or
 * carries an error, or it exits with a non-zero code, and what it says names the server it cannot
 * reach.
 */
@Command(name = "unreachable", mixinStandardHelpOptions = true,
    description = "Wrong bootstrap server: a clear status and error within the bound, or a non-zero exit.")
final class ChaosUnreachable extends ChaosScenario {
  @Option(names = "--bound-s", description = "Seconds allowed to report the problem (default 30; 15 with --short)")
  Integer boundSeconds;

  @Option(names = "--modes", split = ",", defaultValue = "alos,eos",
      description = "Processing modes, each in its own JVM at the same time (default ${DEFAULT-VALUE})")
  List<String> modes;

  @Override
  public Integer call() throws Exception {
    int bound = pick(boundSeconds, 30, 15);
    String server = "127.0.0.1:" + freePort();
    log("unreachable: processors pointed at %s (nothing listens); bound %d s; modes %s", server, bound, modes);
    List<ChaosProcessors> pools = new ArrayList<>();
    int exit = 0;
    try {
      for (String mode : modes) {
        ChaosProcessors p = new ChaosProcessors(1, mode, server, "chaos-in", "chaos-out", unique("chaos-g-" + mode),
            sessionTimeoutMs(), false);
        pools.add(p);
        p.start(0);
      }
      long start = System.currentTimeMillis();
      String[] said = new String[pools.size()];
      double[] after = new double[pools.size()];
      int[] exitCode = new int[pools.size()];
      java.util.Arrays.fill(after, -1);
      java.util.Arrays.fill(exitCode, -1);
      // Every 500 ms until every mode reported the problem or the bound passed: once all did,
      // waiting out the rest of the bound shows nothing more.
      for (int tick = 1; tick <= bound * 2; tick++) {
        long left = start + tick * 500L - System.currentTimeMillis();
        if (left > 0) {
          Thread.sleep(left); // the sampling period, not synchronisation
        }
        boolean all = true;
        for (int i = 0; i < pools.size(); i++) {
          if (said[i] == null) {
            said[i] = reported(pools.get(i));
            if (said[i] != null) {
              after[i] = (System.currentTimeMillis() - start) / 1e3;
            }
          }
          all &= said[i] != null;
        }
        if (all) {
          break;
        }
      }
      for (int i = 0; i < pools.size(); i++) {
        ChaosProcessors p = pools.get(i);
        String mode = modes.get(i);
        List<ChaosStatus> statuses = ChaosStatus.parseAll(p.lastLinesOfAll(Integer.MAX_VALUE));
        String lastState = statuses.isEmpty() ? "-" : statuses.getLast().state();
        if (!p.isAlive(0)) {
          exitCode[i] = exitCodeOf(p);
        }
        if (said[i] != null) {
          log("%s said after %.1f s: %s", mode, after[i], said[i]);
        }
        boolean names = said[i] != null && said[i].contains(server);
        ChaosOutcome o = new ChaosOutcome("unreachable")
            .put("records", 0).put("kills", 0).put("lost", 0).put("duplicates", 0).put("reordered", 0)
            .put("max_stall_s", null).put("mode", mode).put("bound_s", bound)
            .put("reported_after_s", after[i] < 0 ? null : after[i]).put("last_state", lastState)
            .put("exit_code", exitCode[i] < 0 ? null : exitCode[i]).put("names_server", names);
        o.promise(said[i] != null, "status or exit reports the problem within " + bound + " s",
            "after " + bound + " s the processor still says state=" + lastState + " with no error and runs on");
        o.promise(names, "the error names the unreachable server " + server,
            said[i] == null ? "no error at all" : "the error does not name it: " + said[i]);
        exit |= o.print(out);
      }
    } finally {
      for (ChaosProcessors p : pools) {
        p.kill(0); // nothing to save, and a graceful close would wait out its shutdown timeout
        p.close();
      }
    }
    return exit;
  }

  /** What the processor said about the problem so far, or null: an error, a non-RUNNING state, or an exit. */
  private static String reported(ChaosProcessors p) {
    List<String> lines = p.lastLinesOfAll(Integer.MAX_VALUE);
    for (String l : lines) {
      if (l.startsWith("START-FAILED ") || l.startsWith("STOPPED ")) {
        return l;
      }
      ChaosStatus s = ChaosStatus.parse(l);
      if (s != null) {
        if (!s.error().equals("-") || !(s.state().equals("RUNNING") || s.state().equals("NEW"))) {
          return "state=" + s.state() + " error=" + s.error();
        }
      }
    }
    if (!p.isAlive(0)) {
      return "exited: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }
    return null;
  }

  private static int exitCodeOf(ChaosProcessors p) throws InterruptedException {
    return p.exitCode(0);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
