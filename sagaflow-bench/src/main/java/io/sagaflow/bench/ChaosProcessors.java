package io.sagaflow.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.sagaflow.testkit.ChildJvm;

/**
 * Slots of processor JVMs ({@link ChaosChildMain}) copying one input topic to one output topic in
 * one group. Slot {@code i} always runs instance {@code p<i>}, so a restarted slot has its
 * predecessor's transactional id prefix, as a restarted pod of a stateful set would.
 */
final class ChaosProcessors implements AutoCloseable {
  private final String mode;
  private final String bootstrap;
  private final String input;
  private final String output;
  private final String group;
  private final int sessionTimeoutMs;
  private final boolean dlt;
  private final ChildJvm[] slots;
  /** Whether each processor joins as a static member, its slot's instance ({@code p<i>}) as its id. */
  private boolean staticMembership;
  /** Every JVM started, alive or not, for their output. */
  private final List<ChildJvm> all = new ArrayList<>();

  ChaosProcessors(int size, String mode, String bootstrap, String input, String output, String group,
      int sessionTimeoutMs, boolean dlt) {
    this.mode = mode;
    this.bootstrap = bootstrap;
    this.input = input;
    this.output = output;
    this.group = group;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.dlt = dlt;
    this.slots = new ChildJvm[size];
  }

  /** The processors join as static members (group.instance.id from their slot); see withInstanceId. */
  ChaosProcessors staticMembership(boolean on) {
    this.staticMembership = on;
    return this;
  }

  int size() {
    return slots.length;
  }

  String group() {
    return group;
  }

  String output() {
    return output;
  }

  /** Starts slot {@code i} (which must not be running). */
  synchronized ChildJvm start(int i) throws IOException {
    if (slots[i] != null && slots[i].isAlive()) {
      throw new IllegalStateException("slot " + i + " is running: kill or terminate it first");
    }
    ChildJvm c = ChildJvm.start(ChaosChildMain.class, mode, bootstrap, input, output, group, "p" + i,
        Integer.toString(sessionTimeoutMs), dlt ? "dlt" : "-", staticMembership ? "static" : "dynamic");
    slots[i] = c;
    all.add(c);
    return c;
  }

  /** Starts every slot at once, then waits until each holds partitions. */
  void startAllReady(Duration timeout) throws IOException, InterruptedException {
    for (int i = 0; i < slots.length; i++) {
      start(i);
    }
    for (int i = 0; i < slots.length; i++) {
      slots[i].awaitLine("READY"::equals, timeout);
    }
  }

  /** Waits until the running slot {@code i} holds partitions. */
  void startReadyAwait(int i, Duration timeout) throws InterruptedException {
    ChildJvm c;
    synchronized (this) {
      c = slots[i];
    }
    c.awaitLine("READY"::equals, timeout);
  }

  /** Starts slot {@code i} and waits until it holds partitions. */
  void startReady(int i, Duration timeout) throws IOException, InterruptedException {
    start(i).awaitLine("READY"::equals, timeout);
  }

  synchronized Optional<ChildJvm> get(int i) {
    return Optional.ofNullable(slots[i]).filter(ChildJvm::isAlive);
  }

  synchronized boolean isAlive(int i) {
    return slots[i] != null && slots[i].isAlive();
  }

  /** The exit code of slot {@code i}, which has exited. */
  int exitCode(int i) throws InterruptedException {
    ChildJvm c;
    synchronized (this) {
      c = slots[i];
    }
    if (c == null || c.isAlive()) {
      throw new IllegalStateException("slot " + i + " is running or was never started: no exit code yet");
    }
    return c.terminate(Duration.ofSeconds(1)); // a no-op signal to an exited process; returns its code
  }

  /** SIGKILL of slot {@code i}; waits until the process is gone. */
  void kill(int i) throws InterruptedException {
    ChildJvm c;
    synchronized (this) {
      c = slots[i];
    }
    if (c != null) {
      c.kill();
    }
  }

  /** SIGTERM of slot {@code i} (a graceful leave); returns the exit code, -1 if it was not running. */
  int terminate(int i, Duration timeout) throws InterruptedException {
    ChildJvm c;
    synchronized (this) {
      c = slots[i];
    }
    return c == null || !c.isAlive() ? -1 : c.terminate(timeout);
  }

  /**
   * Writes a thread dump of the running slot {@code i}, virtual threads included, next to its logs
   * ({@code <tmpdir>/sagaflow-chaos/<group>/<i>-threads.txt}, with {@code jcmd} of this JVM's JDK);
   * returns the file, or empty when the slot is not running or the dump failed (evidence only).
   */
  Optional<java.nio.file.Path> dumpThreads(int i) throws InterruptedException {
    Optional<ChildJvm> c = get(i);
    if (c.isEmpty()) {
      return Optional.empty();
    }
    java.nio.file.Path jcmd = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd");
    java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "sagaflow-chaos", group);
    java.nio.file.Path file = dir.resolve(i + "-threads.txt");
    try {
      java.nio.file.Files.createDirectories(dir);
      java.nio.file.Files.deleteIfExists(file);
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(c.get().pid()), "Thread.dump_to_file",
          file.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      boolean done = p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      return done && java.nio.file.Files.exists(file) ? Optional.of(file) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Every line slot {@code i}'s current JVM printed so far (empty if never started). */
  synchronized List<String> lines(int i) {
    return slots[i] == null ? List.of() : slots[i].output();
  }

  /** The last {@code n} lines of every JVM this pool started, for diagnosis. */
  synchronized List<String> lastLinesOfAll(int n) {
    List<String> out = new ArrayList<>();
    for (ChildJvm c : all) {
      List<String> lines = c.output();
      out.addAll(lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
    return out;
  }

  /**
   * Writes the output of every JVM this pool started to {@code <tmpdir>/sagaflow-chaos/<group>/<n>.log}
   * and returns the directory (evidence for a broken promise).
   */
  synchronized java.nio.file.Path saveLogs() throws IOException {
    java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "sagaflow-chaos", group);
    java.nio.file.Files.createDirectories(dir);
    for (int n = 0; n < all.size(); n++) {
      java.nio.file.Files.write(dir.resolve(n + ".log"), all.get(n).output());
    }
    return dir;
  }

  /** SIGTERM to every running slot (30 s each), then SIGKILL to any left. */
  @Override
  public void close() {
    for (int i = 0; i < slots.length; i++) {
      try {
        terminate(i, Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (AssertionError e) {
        // did not exit in time: killed below
      }
    }
    synchronized (this) {
      all.forEach(ChildJvm::close);
    }
  }
}
