package io.sagaflow.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Where {@link EmbeddedKafka} keeps temporary data, and the cleaning up after dead owners. */
final class DataDirs {
  private DataDirs() {}

  /**
   * Where temporary data goes: {@code /dev/shm} when it is a writable directory (a memory file
   * system, where the fsync of every log segment on shutdown costs nothing, which makes closing a
   * broker take a second instead of many on a busy disk), else {@code java.io.tmpdir}.
   */
  static Path scratchRoot() {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return shm;
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  static final String DATA_DIR_PREFIX = "sagaflow-kafka-";
  /** In a temporary data directory: "{@code <pid> <process start, epoch ms>}" of the JVM that owns it. */
  static final String OWNER_FILE = "sagaflow-owner";

  /**
   * Deletes the temporary data directories of brokers whose JVM died without closing them (kill -9,
   * a CI timeout): in {@code /dev/shm} they would hold memory until the next reboot. A directory is
   * abandoned when the process its owner file names is gone, or is another process that reused
   * the pid; directories without an owner file (kept on purpose, or still being created) are left.
   */
  static void sweepAbandoned(Path root) {
    try (var dirs = Files.newDirectoryStream(root, DATA_DIR_PREFIX + "*")) {
      for (Path dir : dirs) {
        if (ownerIsGone(dir)) {
          try {
            deleteRecursively(dir);
          } catch (UncheckedIOException e) {
            // Another JVM sweeping the same directory, or no permission: not ours to insist on.
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // Sweeping is housekeeping: a failure must never stop a broker from starting.
    }
  }

  private static boolean ownerIsGone(Path dir) {
    String owner;
    try {
      owner = Files.readString(dir.resolve(OWNER_FILE)).trim();
    } catch (IOException e) {
      return false;
    }
    String[] parts = owner.split(" ");
    if (parts.length != 2) {
      return false;
    }
    try {
      long pid = Long.parseLong(parts[0]);
      long started = Long.parseLong(parts[1]);
      // A start time neither side could read proves nothing: then only a missing process counts.
      return ProcessHandle.of(pid)
          .map(p -> started != -1 && startMillis(p) != -1 && startMillis(p) != started)
          .orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  static long startMillis(ProcessHandle p) {
    return p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
  }

  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete Kafka data directory " + root, e);
    }
  }
}
