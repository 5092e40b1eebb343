package io.sagaflow.bench;

import io.sagaflow.testkit.NodePackages;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Restate peer of {@code bench durable}: a Restate server (the Linux binary of the npm package
 * {@code @restatedev/restate-server}) and the service JVM ({@link RestateBenchChild}), each its own process.
 *
 * <p>Set-up, in order: npm installs the server into a cache folder next to the bench ({@code target/}); the
 * server starts on free 127.0.0.1 ports with its data in a temporary directory and the benchmark's broker
 * configured as a Kafka cluster; the service JVM starts; its deployment is registered with the admin API;
 * a subscription from {@code <prefix>-in} to {@code BenchSaga/run} makes the server consume the inputs.
 * Everything else is the server's defaults. {@link #close()} stops both processes and deletes the data.
 */
final class RestatePeer implements AutoCloseable {
  static final String SYSTEM = "restate";
  static final String SERVER_VERSION = "1.7.12";
  static final String SERVER_PACKAGE = "@restatedev/restate-server";
  static final String PLATFORM_PACKAGE = "@restatedev/restate-server-linux-x64";
  static final PeerSystem PEER = new PeerSystem(SYSTEM, RestateBenchChild.class.getName(), Optional.of("restate"),
      "dev.restate.sdk.endpoint.Endpoint");
  private static final String KAFKA_CLUSTER = "bench";

  /** Where the server comes from, or why it cannot run. */
  sealed interface Prepared permits Binary, Skip {}

  record Binary(Path path, List<Path> peerJars) implements Prepared {}

  record Skip(String reason) implements Prepared {}

  private final Path dataDir;
  private final Process server;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI admin;
  /** Kills both processes if this JVM ends before {@link #close()} (an error escaping the bench, Ctrl-C). */
  private final Thread killOnExit = new Thread(this::kill, "bench-restate-kill-on-exit");

  /**
   * Runs the server ({@code "$0" "$@"}) so that it stops with the bench JVM however that ends: a
   * shutdown hook covers every end but SIGKILL, after which the server would run on, orphaned. The
   * shell keeps its standard input, a pipe from the bench JVM, open on fd 3 (a background job's
   * own stdin is /dev/null); a watcher reads it to its end, which comes when the JVM has gone,
   * then sends the server SIGTERM, as {@link Process#destroy} of the shell does. The shell exits
   * with the server's exit code.
   */
  private static final String STOP_WITH_PARENT = String.join("\n",
      "exec 3<&0",
      "\"$0\" \"$@\" </dev/null 3<&- &",
      "server=$!",
      "trap 'kill -TERM $server 2>/dev/null' TERM INT",
      "( cat <&3 >/dev/null; kill -TERM $server 2>/dev/null ) &",
      "watcher=$!",
      "exec 3<&-",
      "while :; do",
      "  wait $server; code=$?",
      "  kill -0 $server 2>/dev/null || break",
      "done",
      "kill $watcher 2>/dev/null",
      "exit $code");

  /** {@code command} run by a shell that stops it when the bench JVM is gone ({@link #STOP_WITH_PARENT}). */
  static List<String> stoppingWithParent(List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", STOP_WITH_PARENT));
    wrapped.addAll(command);
    return wrapped;
  }
  private volatile Process service;

  private RestatePeer(Path dataDir, Process server, URI admin) {
    this.dataDir = dataDir;
    this.server = server;
    this.admin = admin;
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** The npm cache folder used when none is given: next to the bench jar or classes ({@code target/}). */
  static Path defaultNpmDir() {
    String name = "restate-server-" + SERVER_VERSION;
    return ChildLauncher.benchHome().filter(Files::isWritable).map(h -> h.resolve(name))
        .orElse(Path.of(System.getProperty("java.io.tmpdir"), "sagaflow-bench-" + name));
  }

  /** Finds the SDK's jars and installs (or finds) the server binary; a {@link Skip} says why it cannot run. */
  static Prepared prepare(String node, String npm, Path npmDir) throws InterruptedException {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return new Skip("the bench installs the Restate server for linux-x64 only, this is " + os + "/" + arch);
    }
    if (!(ChildLauncher.availability(PEER) instanceof ChildLauncher.Available available)) {
      return new Skip("the Restate Java SDK is on no classpath: build with "
          + "'mvn -B -o -pl sagaflow-bench -am package -DskipTests' to fill target/peer-libs/restate/");
    }
    NodePackages.Outcome outcome = NodePackages.install(node, npm, npmDir,
        Map.of(SERVER_PACKAGE, SERVER_VERSION, PLATFORM_PACKAGE, SERVER_VERSION), Duration.ofMinutes(5));
    return switch (outcome) {
      case NodePackages.Unavailable u -> new Skip(u.reason());
      case NodePackages.Failed f -> new Skip(f.reason());
      case NodePackages.Ready r -> {
        Path binary = r.directory().resolve("node_modules").resolve(PLATFORM_PACKAGE).resolve("bin")
            .resolve("restate-server");
        if (!Files.isExecutable(binary)) {
          yield new Skip("npm installed " + PLATFORM_PACKAGE + " but " + binary + " is not an executable file");
        }
        yield new Binary(binary, available.peerJars());
      }
    };
  }

  /** Starts the server and the service JVM, registers the deployment and subscribes the saga to the input topic. */
  static RestatePeer start(Binary binary, String bootstrap, String prefix, String heap)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("sagaflow-bench-restate-");
    int[] ports = freePorts(3);
    URI admin = URI.create("http://127.0.0.1:" + ports[0]);
    StringBuilder brokers = new StringBuilder();
    for (String b : bootstrap.split(",")) {
      brokers.append(brokers.isEmpty() ? "" : ", ").append('"').append(b.strip()).append('"');
    }
    // Ports and the Kafka cluster only; telemetry off because the bench must not call home.
    Files.writeString(dir.resolve("restate.toml"), String.join("\n",
        "disable-telemetry = true",
        "[admin]",
        "bind-address = \"127.0.0.1:" + ports[0] + "\"",
        "[ingress]",
        "bind-address = \"127.0.0.1:" + ports[1] + "\"",
        "[[ingress.kafka-clusters]]",
        "name = \"" + KAFKA_CLUSTER + "\"",
        "brokers = [" + brokers + "]", ""));
    List<String> command = stoppingWithParent(List.of(binary.path().toString(), "--config-file", dir.resolve("restate.toml").toString(),
        "--base-dir", dir.resolve("data").toString(), "--node-name", "bench", "--listen-mode", "tcp",
        "--bind-address", "127.0.0.1:" + ports[2], "--advertised-address", "http://127.0.0.1:" + ports[2] + "/",
        "--no-logo"));
    Process server = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile())
        .start();
    RestatePeer peer = new RestatePeer(dir, server, admin);
    try {
      peer.awaitHealthy(Duration.ofSeconds(90));
      int port = peer.startService(binary.peerJars(), bootstrap, prefix + "-out", heap);
      peer.post("/deployments", "{\"uri\": \"http://127.0.0.1:" + port + "\"}");
      peer.post("/subscriptions", "{\"source\": \"kafka://" + KAFKA_CLUSTER + "/" + prefix + "-in\", "
          + "\"sink\": \"service://" + RestateBenchChild.SAGA_SERVICE + "/" + RestateBenchChild.SAGA_HANDLER + "\", "
          + "\"options\": {\"auto.offset.reset\": \"earliest\"}}");
      return peer;
    } catch (IOException | RuntimeException | InterruptedException e) {
      peer.close();
      throw e;
    }
  }

  private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IllegalStateException("the Restate server exited with " + server.exitValue() + ": "
            + logTail("server.log", 15));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(admin.resolve("/health"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (ConnectException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the Restate server's admin API was not healthy within " + timeout.toSeconds()
        + " s: " + logTail("server.log", 15));
  }

  private int startService(List<Path> peerJars, String bootstrap, String out, String heap)
      throws IOException, InterruptedException {
    List<String> classpath = new ArrayList<>();
    peerJars.forEach(j -> classpath.add(j.toString()));
    classpath.add(System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(ChildLauncher.javaCommand()));
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    // The same JVM settings as Sagaflow's saga JVM (DurableChildProcess): the default G1, this heap.
    command.addAll(List.of("-Xmx" + heap, "-XX:+UseG1GC", "-cp", String.join(File.pathSeparator, classpath),
        RestateBenchChild.class.getName(), "--bootstrap-servers", bootstrap, "--out", out));
    // Its stderr (the SDK's log) goes to a file: under overload the SDK logs an exception per broken
    // invocation stream, thousands of lines between the RESULT lines. A failed scenario prints its tail.
    service = new ProcessBuilder(command).redirectError(dataDir.resolve("service.log").toFile()).start();
    BlockingQueue<String> lines = ChildLauncher.outputLines(service, "bench-restate-service-out");
    String line = lines.poll(90, TimeUnit.SECONDS);
    if (line == null || !line.startsWith("READY ")) {
      throw new IllegalStateException("the Restate service JVM did not get ready: " + line + "; its log: "
          + logTail("service.log", 15));
    }
    return Integer.parseInt(line.substring(6).trim());
  }

  private void post(String path, String json) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(admin.resolve(path))
        .timeout(Duration.ofSeconds(60))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("Restate admin POST " + path + " " + json + " answered " + r.statusCode() + ": "
          + r.body());
    }
  }

  private String logTail(String file, int lines) {
    try {
      List<String> log = Files.readAllLines(dataDir.resolve(file));
      return String.join(" | ", log.subList(Math.max(0, log.size() - lines), log.size()))
          .replaceAll("\u001B\\[[0-9;]*m", "");
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Ports free now; the server binds them a moment later (another process taking one first fails the start: SKIP). */
  private static int[] freePorts(int n) throws IOException {
    ServerSocket[] sockets = new ServerSocket[n];
    int[] ports = new int[n];
    try {
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
    return ports;
  }

  /**
   * Why the server or the service JVM stopped (its exit code and last log lines), or null while both run.
   * The bench asks while it waits for outputs, so that a dead peer fails its scenario at once.
   */
  String failure() {
    if (!server.isAlive()) {
      return "the Restate server exited with " + server.exitValue() + ": " + logTail("server.log", 15);
    }
    Process s = service;
    if (s != null && !s.isAlive()) {
      return "the Restate service JVM exited with " + s.exitValue() + ": " + logTail("service.log", 15);
    }
    return null;
  }

  /** The last lines of the service JVM's log (its stderr: the SDK's errors), for a scenario that failed. */
  String serviceLogTail() {
    return logTail("service.log", 10);
  }

  @Override
  public void close() {
    if (service != null) {
      stop(service, () -> service.getOutputStream().close()); // the service JVM exits when its stdin closes
    }
    stop(server, server::destroy); // SIGTERM: the server shuts down cleanly
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs, and finds both processes gone
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.deleteIfExists(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("bench: could not delete the Restate data in " + dataDir + ": " + e);
    }
  }

  /** Stops both processes (and anything they started) at once: the shutdown hook of a bench JVM that ends early. */
  private void kill() {
    for (Process p : new Process[] {service, server}) {
      if (p != null) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }

  private interface Stopper {
    void stop() throws IOException;
  }

  /** Asks the process to stop; past 30 s (or if asking fails) kills it and its descendants, and waits for it. */
  private static void stop(Process process, Stopper stopper) {
    boolean interrupted = false;
    try {
      stopper.stop();
      if (process.waitFor(30, TimeUnit.SECONDS)) {
        return;
      }
    } catch (IOException e) {
      // cannot ask: kill it
    } catch (InterruptedException e) {
      interrupted = true;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
