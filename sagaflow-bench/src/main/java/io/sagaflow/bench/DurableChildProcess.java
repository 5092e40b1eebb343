package io.sagaflow.bench;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@code bench durable} running the saga consumer under test ({@link DurableBenchChild}),
 * driven over its standard input and output. Closing its standard input stops it, so it also ends when the
 * bench JVM does.
 */
final class DurableChildProcess implements AutoCloseable {
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> lines;

  private DurableChildProcess(Process process) {
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.lines = ChildLauncher.outputLines(process, "bench-durable-child-out");
  }

  /**
   * Starts a child.
   *
   * @param options more options of {@link DurableBenchChild} (for example {@code --commit-interval-ms=8})
   */
  static DurableChildProcess start(String bootstrap, String prefix, boolean durable, boolean waiting, String heap,
      long evictIdleAfterMs, List<String> options) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ChildLauncher.javaCommand());
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    // G1, the JVM's default, as a user runs it. ParallelGC (used before session 9) stopped the JVM
    // for 170-300 ms per young collection once 20,000 sagas were resident, holding every saga.
    command.addAll(List.of("-Xmx" + heap, "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
        DurableBenchChild.class.getName(), "--bootstrap-servers", bootstrap, "--prefix", prefix,
        "--group", prefix + "-sagas"));
    if (durable) {
      command.add("--durable");
    }
    if (waiting) {
      command.add("--waiting");
    }
    command.add("--evict-idle-after-ms=" + evictIdleAfterMs);
    command.addAll(options);
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return new DurableChildProcess(p);
  }

  /** Why the child JVM stopped, or null while it runs. */
  String failure() {
    return process.isAlive() ? null : "the saga consumer's JVM exited with " + process.exitValue();
  }

  void awaitReady(Duration timeout) throws InterruptedException {
    String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!"READY".equals(line)) {
      throw new IllegalStateException("the saga consumer's JVM did not get ready: " + line);
    }
  }

  /** The child's resident and evicted sagas. */
  int[] resident() throws IOException, InterruptedException {
    stdin.write("RESIDENT\n");
    stdin.flush();
    String line = lines.poll(60, TimeUnit.SECONDS);
    if (line == null || !line.startsWith("RESIDENT ")) {
      throw new IllegalStateException("the saga consumer's JVM did not report its resident sagas: " + line);
    }
    String[] parts = line.substring(9).trim().split(" ");
    return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
  }

  /** The child's {@code BREAKDOWN} lines since the last call (see {@link DurableBenchChild}). */
  List<String> breakdown() throws IOException, InterruptedException {
    stdin.write("BREAKDOWN\n");
    stdin.flush();
    List<String> result = new ArrayList<>();
    for (String line = lines.poll(60, TimeUnit.SECONDS); !"BREAKDOWN END".equals(line);
        line = lines.poll(60, TimeUnit.SECONDS)) {
      if (line == null || !line.startsWith("BREAKDOWN ")) {
        throw new IllegalStateException("the saga consumer's JVM did not report its breakdown: " + line);
      }
      result.add(line);
    }
    return result;
  }

  long heapMb() throws IOException, InterruptedException {
    return Long.parseLong(ask("HEAP", "its heap"));
  }

  /** The child's JIT compilation so far, in milliseconds (-1 where its JVM does not tell). */
  long jitMillis() throws IOException, InterruptedException {
    return Long.parseLong(ask("JIT", "its JIT compilation time"));
  }

  private String ask(String command, String what) throws IOException, InterruptedException {
    stdin.write(command + "\n");
    stdin.flush();
    String line = lines.poll(60, TimeUnit.SECONDS);
    if (line == null || !line.startsWith(command + " ")) {
      throw new IllegalStateException("the saga consumer's JVM did not report " + what + ": " + line);
    }
    return line.substring(command.length() + 1).trim();
  }

  @Override
  public void close() {
    try {
      stdin.close(); // the child closes its consumer and exits
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
