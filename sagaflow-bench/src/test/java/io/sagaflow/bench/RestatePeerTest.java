package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The shell that runs the Restate server stops it when the bench JVM is gone, even after a SIGKILL. */
class RestatePeerTest {
  /** The {@code sleep} standing in for the server, once the shell has started it. */
  private static ProcessHandle serverUnder(Process shell) {
    return Awaitility.await("the server under the shell").atMost(Duration.ofSeconds(10))
        .until(() -> shell.descendants().filter(p -> p.info().command().orElse("").endsWith("sleep")).findFirst(),
            java.util.Optional::isPresent)
        .orElseThrow();
  }

  @Test
  void theServerStopsWhenTheBenchJvmsPipeCloses() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh (the Restate server runs on Linux only)");
    Process shell = new ProcessBuilder(RestatePeer.stoppingWithParent(List.of("sleep", "1000"))).start();
    try {
      ProcessHandle server = serverUnder(shell);
      List<ProcessHandle> all = shell.descendants().toList(); // the server, the watcher and its cat
      // What a SIGKILL of the bench JVM does to the shell: the pipe to its standard input closes.
      shell.getOutputStream().close();
      Awaitility.await("the server stopped").atMost(Duration.ofSeconds(10)).until(() -> !server.isAlive());
      Awaitility.await("nothing left behind").atMost(Duration.ofSeconds(10))
          .until(() -> all.stream().noneMatch(ProcessHandle::isAlive));
      assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(shell.exitValue()).as("the server's exit code: SIGTERM").isEqualTo(128 + 15);
    } finally {
      shell.descendants().forEach(ProcessHandle::destroyForcibly);
      shell.destroyForcibly();
    }
  }

  @Test
  void theShellExitsWithTheServersExitCodeAndTerminatesItWhenDestroyed() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh (the Restate server runs on Linux only)");
    Process failing = new ProcessBuilder(RestatePeer.stoppingWithParent(List.of("/bin/sh", "-c", "exit 7"))).start();
    assertThat(failing.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(failing.exitValue()).isEqualTo(7);

    Process shell = new ProcessBuilder(RestatePeer.stoppingWithParent(List.of("sleep", "1000"))).start();
    try {
      ProcessHandle server = serverUnder(shell);
      List<ProcessHandle> all = shell.descendants().toList();
      shell.destroy(); // SIGTERM, as RestatePeer.close does
      Awaitility.await("the server stopped").atMost(Duration.ofSeconds(10)).until(() -> !server.isAlive());
      assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
      Awaitility.await("nothing left behind").atMost(Duration.ofSeconds(10))
          .until(() -> all.stream().noneMatch(ProcessHandle::isAlive));
    } finally {
      shell.descendants().forEach(ProcessHandle::destroyForcibly);
      shell.destroyForcibly();
    }
  }
}
