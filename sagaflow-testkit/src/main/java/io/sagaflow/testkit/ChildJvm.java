package io.sagaflow.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Java main class in a JVM of its own, on this JVM's class path: for tests that kill a process
 * ({@link #kill()} is SIGKILL) and check what survives. Its output is collected line by line.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(MyProcessorMain.class, bootstrap, "orders")) {
 *   child.awaitLine(l -> l.startsWith("READY"), Duration.ofSeconds(30));
 *   child.kill();
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

  private ChildJvm(Process process) {
    this.process = process;
    Thread.ofPlatform().daemon().name("child-jvm-output-" + process.pid()).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (lines) {
            lines.add(line);
            lines.notifyAll();
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    });
  }

  /** Starts {@code mainClass} with {@code args} in a new JVM (same java, same class path, 512 MiB heap). */
  public static ChildJvm start(Class<?> mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /** Waits until a line of output matches, and returns it. */
  public String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      while (true) {
        for (String l : lines) {
          if (match.test(l)) {
            return l;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !process.isAlive() && lines.stream().noneMatch(match)) {
          throw new AssertionError("the child JVM printed no matching line within " + timeout.toMillis()
              + " ms (alive: " + process.isAlive() + "); its output:\n" + String.join("\n", lines));
        }
        lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  /** Everything printed so far. */
  public List<String> output() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye. Waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, then waits for the process to exit; returns its exit code. */
  public int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the child JVM did not exit within " + timeout.toMillis() + " ms of SIGTERM");
    }
    return process.exitValue();
  }

  /** The child's process id. */
  public long pid() {
    return process.pid();
  }

  /**
   * SIGSTOP: the JVM freezes as if in a very long GC pause (no heartbeats, no progress) until
   * {@link #resume()}. For zombie tests: freeze a member until the group moves on without it.
   */
  public void suspend() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT: a {@link #suspend()}ed JVM carries on where it stopped. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed with exit code " + kill.exitValue());
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
