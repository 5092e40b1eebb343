package io.sagaflow.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.sagaflow.testkit.NodePackages;

/**
 * The {@code kafka-sagas} peer of {@code bench saga}: the npm package {@code kafka-sagas} 17.1.0 on
 * {@code kafkajs} 1.15.0, running the same request/reply round trip in two Node processes against the
 * same broker.
 *
 * <p>Design: the packages are installed once into a cache folder ({@link #defaultNpmDir()}, reused while it
 * holds the right versions) with {@link NodePackages}; the script {@code kafka-sagas/saga-bench.js} (a
 * resource of this module) is copied next to them. Per {@link Setting}: two fresh 6-partition topics, the
 * echo process (a {@code TopicSagaConsumer}; started first, waited for until it prints {@code READY}), then
 * the requester process, which runs the warm-up and the measured scenarios by itself and prints one
 * {@code STATS} line per scenario (timing is taken inside Node, as Sagaflow's is taken inside its JVM).
 * The echo process is stopped after the requester exits.
 */
final class KafkaSagasPeer {
  static final String SYSTEM = "kafka-sagas";
  static final Map<String, String> PACKAGES = packages();
  private static final String SCRIPT = "saga-bench.js";
  private static final int PARTITIONS = 6;

  private final String node;
  private final Path dir;
  private final PrintStream out;

  /**
   * A producer setting of the package.
   *
   * @param name    {@code default} or {@code best}
   * @param flushMs the flush interval of both producers, empty for the package's own (1,000 ms for a
   *                ThrottledProducer made without a config, 100 ms for a TopicSagaConsumer's)
   */
  record Setting(String name, OptionalInt flushMs) {
    static Setting defaults() {
      return new Setting("default", OptionalInt.empty());
    }

    static Setting best(int flushMs) {
      if (flushMs < 1) {
        throw new IllegalArgumentException("the flush interval must be at least 1 ms (kafka-sagas takes 0 as 1,000 ms)");
      }
      return new Setting("best", OptionalInt.of(flushMs));
    }

    /** The {@code setting=} value of the RESULT lines. */
    String label() {
      return flushMs.isEmpty() ? name + "|flush=requester:1000ms,echo:100ms" : name + "|flush=" + flushMs.getAsInt() + "ms";
    }

    String scriptArgument() {
      return flushMs.isEmpty() ? "default" : Integer.toString(flushMs.getAsInt());
    }
  }

  /**
   * What the requester runs: a closed-loop warm-up of {@code warmupSeconds}, then the saturated run
   * ({@code concurrency} in flight until {@code sagas} started or {@code seconds} passed), then the paced run.
   */
  record Load(int warmupSeconds, int sagas, int concurrency, int seconds, int rate, int pacedSeconds, int timeoutMs) {
    String toJson() {
      return String.format(Locale.ROOT, "{\"warmupSeconds\":%d,\"sagas\":%d,\"concurrency\":%d,\"seconds\":%d,"
          + "\"rate\":%d,\"pacedSeconds\":%d,\"timeoutMs\":%d}", warmupSeconds, sagas, concurrency, seconds, rate,
          pacedSeconds, timeoutMs);
    }

    /**
     * An upper bound of the requester's run: every phase plus one saga timeout after each, start-up and the
     * first round trip (up to 60 s).
     */
    Duration budget() {
      return Duration.ofSeconds(warmupSeconds + seconds + pacedSeconds + 120).plusMillis(4L * timeoutMs);
    }
  }

  KafkaSagasPeer(String node, Path dir, PrintStream out) {
    this.node = node;
    this.dir = dir;
    this.out = out;
  }

  private static Map<String, String> packages() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("kafka-sagas", "17.1.0");
    p.put("kafkajs", "1.15.0");
    return Collections.unmodifiableMap(p);
  }

  /** {@code target/kafka-sagas-17.1.0-kafkajs-1.15.0} next to the bench jar or classes, else under the temp dir. */
  static Path defaultNpmDir() {
    String name = "kafka-sagas-" + PACKAGES.get("kafka-sagas") + "-kafkajs-" + PACKAGES.get("kafkajs");
    try {
      var source = KafkaSagasPeer.class.getProtectionDomain().getCodeSource();
      if (source != null) {
        Path parent = Path.of(source.getLocation().toURI()).getParent();
        if (parent != null && Files.isWritable(parent)) {
          return parent.resolve(name);
        }
      }
    } catch (URISyntaxException | IllegalArgumentException e) {
      // not from a file: the temp dir
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "sagaflow-bench-" + name);
  }

  /** Installs the packages into {@code dir} (or finds them there) and copies the script next to them. */
  static NodePackages.Outcome prepare(String node, String npm, Path dir) throws InterruptedException {
    NodePackages.Outcome outcome = NodePackages.install(node, npm, dir, PACKAGES, Duration.ofMinutes(5));
    if (outcome instanceof NodePackages.Ready ready) {
      try (InputStream script = KafkaSagasPeer.class.getResourceAsStream("/kafka-sagas/" + SCRIPT)) {
        Files.copy(Objects.requireNonNull(script, "resource kafka-sagas/" + SCRIPT), ready.directory().resolve(SCRIPT),
            StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot copy " + SCRIPT + " to " + ready.directory(), e);
      }
    }
    return outcome;
  }

  /**
   * Runs the echo and requester processes for one setting and returns the saturated and paced results.
   *
   * @throws IllegalStateException when a process fails or prints no results (the reason in the message)
   */
  List<SagaResult> run(String bootstrap, Setting setting, Load load) throws IOException, ExecutionException, InterruptedException {
    String suffix = setting.name() + "-" + System.currentTimeMillis();
    String request = "BENCH_KS_REQUEST-" + suffix;
    String reply = "BENCH_KS_REPLY-" + suffix;
    DataProducer.createTopic(bootstrap, request, PARTITIONS);
    DataProducer.createTopic(bootstrap, reply, PARTITIONS);
    List<String> echoArgs = List.of(bootstrap, request, reply, setting.scriptArgument());
    try (NodeProcess echo = NodeProcess.start(this, "echo", echoArgs)) {
      echo.awaitReady(Duration.ofSeconds(60));
      try (NodeProcess requester = NodeProcess.start(this, "requester",
          List.of(bootstrap, request, reply, setting.scriptArgument(), load.toJson()))) {
        int exit = requester.awaitExit(load.budget());
        List<String> stats = requester.stats();
        if (exit != 0 || stats.size() != 2) {
          throw new IllegalStateException("the kafka-sagas requester exited with " + exit + " after " + stats.size()
              + " of 2 STATS lines (its output is above)");
        }
        return stats.stream().map(s -> SagaResult.fromStats(s, SYSTEM, setting.label())).toList();
      }
    }
  }

  /** A Node process of the script, its output forwarded to {@code out} with a prefix except STATS and READY. */
  private static final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final String role;
    private final List<String> stats = new ArrayList<>();
    private boolean ready;
    private Thread reader;

    private NodeProcess(Process process, String role) {
      this.process = process;
      this.role = role;
    }

    private void forward(PrintStream out) {
      reader = Thread.ofPlatform().daemon().name("bench-kafka-sagas-" + role).start(() -> {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = lines.readLine()) != null) {
            synchronized (this) {
              if (line.startsWith("STATS ")) {
                stats.add(line);
              } else if (line.equals("READY")) {
                ready = true;
              } else {
                out.println("[" + SYSTEM + " " + role + "] " + line);
              }
              notifyAll();
            }
          }
        } catch (IOException e) {
          // the process is gone
        }
        synchronized (this) {
          notifyAll();
        }
      });
    }

    static NodeProcess start(KafkaSagasPeer peer, String role, List<String> args) throws IOException {
      List<String> command = new ArrayList<>(List.of(peer.node, SCRIPT, role));
      command.addAll(args);
      Process p = new ProcessBuilder(command).directory(peer.dir.toFile()).redirectErrorStream(true).start();
      NodeProcess np = new NodeProcess(p, role);
      np.forward(peer.out);
      return np;
    }

    synchronized void awaitReady(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!ready) {
        if (!process.isAlive() && !reader.isAlive()) {
          throw new IllegalStateException("the kafka-sagas " + role + " exited with " + process.exitValue()
              + " before it was ready (its output is above)");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("the kafka-sagas " + role + " was not ready within " + timeout.toSeconds() + " s");
        }
        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
      }
    }

    /** The exit code, after the whole output is read; -1 (and the process killed) past the timeout. */
    int awaitExit(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return -1;
      }
      reader.join(5_000);
      return process.exitValue();
    }

    synchronized List<String> stats() {
      return List.copyOf(stats);
    }

    /** Closes stdin (the echo script exits on it), then stops the process and its children. */
    @Override
    public void close() {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // already closed
      }
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroy);
          process.destroy();
          if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
          }
        }
        reader.join(5_000);
      } catch (InterruptedException e) {
        kill();
        Thread.currentThread().interrupt();
      }
    }

    private void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
