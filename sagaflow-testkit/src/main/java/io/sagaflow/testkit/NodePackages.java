package io.sagaflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * npm packages installed into a folder of their own, for tests and benchmarks that run Node programs
 * against Sagaflow (e.g. the {@code kafka-sagas} package). An installation that is already there at the
 * wanted versions is reused; otherwise {@code npm install} fills {@code <directory>/node_modules}.
 *
 * <pre>{@code
 * NodePackages.Outcome o = NodePackages.install(Path.of("target", "npm"), Map.of("kafka-sagas", "17.1.0"));
 * switch (o) {
 *   case NodePackages.Ready r -> ...                // run node with r.directory() as working directory
 *   case NodePackages.Unavailable u -> skip(u.reason());
 *   case NodePackages.Failed f -> fail(f.reason());
 * }
 * }</pre>
 */
public final class NodePackages {
  /** npm's output when it could not reach the registry (as opposed to a failing package). */
  private static final Pattern NETWORK_FAILURE = Pattern.compile(
      "ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|network|proxy",
      Pattern.CASE_INSENSITIVE);

  private NodePackages() {}

  /** What {@link #install} found or did. */
  public sealed interface Outcome permits Ready, Unavailable, Failed {}

  /**
   * The packages are installed under {@code directory/node_modules}.
   *
   * @param directory   run {@code node} with this as its working directory so that {@code require} finds them
   * @param nodeVersion what {@code node --version} printed, e.g. {@code v20.20.2}
   */
  public record Ready(Path directory, String nodeVersion) implements Outcome {}

  /** Node or npm cannot be started, or the npm registry cannot be reached: a reason to skip, not a failure. */
  public record Unavailable(String reason) implements Outcome {}

  /** npm ran and failed for another reason (its output is in the reason). */
  public record Failed(String reason) implements Outcome {}

  /** {@link #install(String, String, Path, Map, Duration)} with {@code node} and {@code npm} from the PATH, 5 minutes. */
  public static Outcome install(Path directory, Map<String, String> packages) throws InterruptedException {
    return install("node", "npm", directory, packages, Duration.ofMinutes(5));
  }

  /**
   * Makes sure {@code packages} (name to exact version) are installed under {@code directory}.
   *
   * @param node    the node program (a name on the PATH or a path)
   * @param npm     the npm program
   * @param timeout how long npm may take; past it, npm is stopped and the registry counted as unreachable
   */
  public static Outcome install(String node, String npm, Path directory, Map<String, String> packages,
      Duration timeout) throws InterruptedException {
    if (packages.isEmpty()) {
      throw new IllegalArgumentException("name at least one package to install");
    }
    Path dir = directory.toAbsolutePath();
    Run version = run(List.of(node, "--version"), null, null, Duration.ofSeconds(30));
    if (version.notStarted() != null) {
      return new Unavailable("node cannot be started (" + node + "): " + version.notStarted());
    }
    if (version.exit() != 0) {
      return new Unavailable("'" + node + " --version' exited with " + version.exit() + ": " + version.output().strip());
    }
    String nodeVersion = version.output().strip();
    if (allInstalled(dir, packages)) {
      return new Ready(dir, nodeVersion);
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the npm folder " + dir, e);
    }
    List<String> command = new ArrayList<>(List.of(npm, "install", "--prefix", dir.toString(), "--no-audit",
        "--no-fund", "--no-save", "--no-package-lock"));
    packages.forEach((name, v) -> command.add(name + "@" + v));
    Run npmRun = run(command, dir, dir.resolve("npm-install.log"), timeout);
    if (npmRun.notStarted() != null) {
      return new Unavailable("npm cannot be started (" + npm + "): " + npmRun.notStarted());
    }
    if (npmRun.exit() == Integer.MIN_VALUE) {
      return new Unavailable("npm install did not finish within " + timeout.toSeconds() + " s (registry unreachable?)");
    }
    if (allInstalled(dir, packages)) {
      return new Ready(dir, nodeVersion);
    }
    String out = npmRun.output().strip();
    if (NETWORK_FAILURE.matcher(out).find()) {
      return new Unavailable("the npm registry is unreachable: " + firstErrorLine(out));
    }
    return new Failed("npm install " + String.join(" ", command.subList(command.size() - packages.size(),
        command.size())) + " failed (exit " + npmRun.exit() + "):\n" + out);
  }

  /** Whether {@code directory/node_modules/<name>} holds exactly {@code version}. */
  public static boolean installed(Path directory, String name, String version) {
    Path manifest = directory.resolve("node_modules").resolve(name).resolve("package.json");
    if (!Files.isRegularFile(manifest)) {
      return false;
    }
    try {
      return new ObjectMapper().readTree(manifest.toFile()).path("version").asText().equals(version);
    } catch (IOException e) {
      return false; // a broken install: npm install again
    }
  }

  private static boolean allInstalled(Path dir, Map<String, String> packages) {
    return packages.entrySet().stream().allMatch(p -> installed(dir, p.getKey(), p.getValue()));
  }

  private static String firstErrorLine(String out) {
    return out.lines().filter(l -> NETWORK_FAILURE.matcher(l).find()).findFirst().orElse(out.lines().findFirst()
        .orElse("")).strip();
  }

  /** A finished command: its exit code (MIN_VALUE when stopped at the timeout) and output, or why it did not start. */
  private record Run(int exit, String output, String notStarted) {}

  /** Runs {@code command} in {@code dir} (null: this process's) with its output in {@code log} (null: a temporary file). */
  private static Run run(List<String> command, Path dir, Path log, Duration timeout) throws InterruptedException {
    Path out = log;
    Process p;
    try {
      if (out == null) {
        out = Files.createTempFile("sagaflow-node-", ".log");
      }
      p = new ProcessBuilder(command).directory(dir == null ? null : dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
    } catch (IOException e) {
      deleteTemp(log, out);
      return new Run(-1, "", e.getMessage());
    }
    try {
      p.getOutputStream().close();
      boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!finished) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      return new Run(finished ? p.exitValue() : Integer.MIN_VALUE, Files.readString(out, StandardCharsets.UTF_8), null);
    } catch (IOException e) {
      return new Run(-1, "", e.getMessage());
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
      deleteTemp(log, out);
    }
  }

  private static void deleteTemp(Path log, Path out) {
    if (log == null && out != null) {
      try {
        Files.deleteIfExists(out);
      } catch (IOException e) {
        // a temporary file left behind
      }
    }
  }
}
