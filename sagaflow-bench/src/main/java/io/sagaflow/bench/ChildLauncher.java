package io.sagaflow.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts one system's child JVM with the same {@code java} as this one and collects its RESULT line.
 *
 * <p>Classpath: the system's own jars from {@code peer-libs/<system>/} (next to the bench jar, or next to
 * {@code target/classes} in a build tree) come first, then this JVM's classpath (the bench jar, whose manifest
 * adds {@code lib/}). Putting the peer's jars first lets a peer bring its own version of a library the bench
 * also has.
 */
final class ChildLauncher {
  private final List<String> jvmOptions;
  private final PrintStream out;

  ChildLauncher(List<String> jvmOptions, PrintStream out) {
    this.jvmOptions = List.copyOf(jvmOptions);
    this.out = out;
  }

  /** Where the system's classes come from, or why it cannot run. */
  sealed interface Availability permits Available, Unavailable {}

  record Available(List<Path> peerJars) implements Availability {}

  record Unavailable(String reason) implements Availability {}

  static Availability availability(PeerSystem system) {
    ClassLoader loader = ChildLauncher.class.getClassLoader();
    if (loader.getResource(PeerSystem.classResource(system.className())) == null) {
      return new Unavailable(system.className() + " is not in this build");
    }
    List<Path> jars = peerJars(system);
    boolean libraryHere = loader.getResource(PeerSystem.classResource(system.markerClass())) != null;
    if (jars.isEmpty() && !libraryHere) {
      return new Unavailable(system.markerClass() + " is on no classpath: build with "
          + "'mvn -B -o -pl sagaflow-bench -am package -DskipTests' to fill target/peer-libs/");
    }
    return new Available(jars);
  }

  private static List<Path> peerJars(PeerSystem system) {
    if (system.peerLibs().isEmpty()) {
      return List.of();
    }
    Optional<Path> home = benchHome();
    if (home.isEmpty()) {
      return List.of();
    }
    Path dir = home.get().resolve("peer-libs").resolve(system.peerLibs().get());
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** The directory holding the bench jar (or {@code target/} when running from {@code target/classes}). */
  static Optional<Path> benchHome() {
    try {
      var source = ChildLauncher.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return Optional.empty();
      }
      Path location = Path.of(source.getLocation().toURI());
      return Optional.ofNullable(location.getParent());
    } catch (URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The lines {@code process} prints, queued by a daemon thread named {@code threadName}; the queue ends
   * with {@code "(its output ended)"} (or the read error), so a reader waiting for a line learns that the
   * child is gone.
   */
  static BlockingQueue<String> outputLines(Process process, String threadName) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon().name(threadName).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
        lines.add("(its output ended)");
      } catch (IOException e) {
        lines.add("(its output failed: " + e + ")");
      }
    });
    return lines;
  }

  static String javaCommand() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * Runs the child to completion and returns its RESULT line, or empty (with the reason on stderr) when it
   * printed none.
   */
  Optional<ResultLine> run(PeerSystem system, Available availability, List<String> childArgs, long timeoutMillis)
      throws IOException, InterruptedException {
    List<String> classpath = new ArrayList<>();
    availability.peerJars().forEach(j -> classpath.add(j.toString()));
    classpath.add(System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    if (Runtime.version().feature() >= 24) {
      // The child runs on this JVM's java. Kafka's clients still use sun.misc.Unsafe to free buffers; the
      // JDK warns about it from 24 on (the option does not exist before 23).
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classpath));
    command.add(ChildMain.class.getName());
    command.addAll(childArgs);

    Process process = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .start();
    process.getOutputStream().close();
    List<ResultLine> results = new ArrayList<>();
    Thread reader = Thread.ofPlatform().daemon().name("bench-child-" + system.name()).start(() -> {
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (ResultLine.isResult(line)) {
            synchronized (results) {
              results.add(ResultLine.parse(line));
            }
            out.println(line);
          } else {
            out.println("[" + system.name() + "] " + line);
          }
          out.flush();
        }
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("bench: reading " + system.name() + "'s output failed: " + e);
      }
    });
    // The child enforces its own time limit; this is only a backstop for a child that hangs.
    if (!process.waitFor(timeoutMillis + 90_000, TimeUnit.MILLISECONDS)) {
      System.err.println("bench: " + system.name() + " did not exit in time; killing it");
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(5_000);
    synchronized (results) {
      if (results.size() != 1) {
        System.err.println("bench: " + system.name() + " exited with " + process.exitValue() + " and printed "
            + results.size() + " RESULT lines (expected exactly one)");
        return Optional.empty();
      }
      return Optional.of(results.getFirst());
    }
  }
}
