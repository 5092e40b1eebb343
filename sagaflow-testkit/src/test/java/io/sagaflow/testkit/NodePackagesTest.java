package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What NodePackages does without the network: missing programs, reuse of an installation. */
class NodePackagesTest {
  private static final Map<String, String> PACKAGES = Map.of("left-pad", "1.3.0");

  @Test
  void aMissingNodeIsUnavailableWithTheProgramInTheReason(@TempDir Path dir) throws Exception {
    String node = dir.resolve("no-such-node").toString();

    NodePackages.Outcome outcome = NodePackages.install(node, "npm", dir.resolve("npm"), PACKAGES, Duration.ofSeconds(30));

    assertThat(outcome).isInstanceOfSatisfying(NodePackages.Unavailable.class,
        u -> assertThat(u.reason()).startsWith("node cannot be started (" + node + ")"));
    assertThat(dir.resolve("npm")).doesNotExist();
  }

  @Test
  void aMissingNpmIsUnavailable(@TempDir Path dir) throws Exception {
    assumeNode();
    String npm = dir.resolve("no-such-npm").toString();

    NodePackages.Outcome outcome = NodePackages.install("node", npm, dir.resolve("npm"), PACKAGES, Duration.ofSeconds(30));

    assertThat(outcome).isInstanceOfSatisfying(NodePackages.Unavailable.class,
        u -> assertThat(u.reason()).startsWith("npm cannot be started (" + npm + ")"));
  }

  @Test
  void anInstallationAtTheWantedVersionsIsReusedWithoutNpm(@TempDir Path dir) throws Exception {
    assumeNode();
    writeManifest(dir, "left-pad", "1.3.0");

    NodePackages.Outcome outcome =
        NodePackages.install("node", dir.resolve("no-such-npm").toString(), dir, PACKAGES, Duration.ofSeconds(30));

    assertThat(outcome).isInstanceOfSatisfying(NodePackages.Ready.class, r -> {
      assertThat(r.directory()).isEqualTo(dir.toAbsolutePath());
      assertThat(r.nodeVersion()).startsWith("v");
    });
  }

  @Test
  void anotherVersionIsNotTheInstalledOne(@TempDir Path dir) throws Exception {
    writeManifest(dir, "left-pad", "1.2.0");

    assertThat(NodePackages.installed(dir, "left-pad", "1.2.0")).isTrue();
    assertThat(NodePackages.installed(dir, "left-pad", "1.3.0")).isFalse();
    assertThat(NodePackages.installed(dir, "right-pad", "1.2.0")).isFalse();
    assertThatThrownBy(() -> NodePackages.install(dir, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one package");
  }

  private static void writeManifest(Path dir, String name, String version) throws IOException {
    Path pkg = Files.createDirectories(dir.resolve("node_modules").resolve(name));
    Files.writeString(pkg.resolve("package.json"), "{\"name\": \"" + name + "\", \"version\": \"" + version + "\"}");
  }

  private static void assumeNode() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      Assumptions.assumeTrue(p.waitFor() == 0, "node --version failed");
    } catch (IOException e) {
      Assumptions.abort("node is not on the PATH");
    }
  }
}
