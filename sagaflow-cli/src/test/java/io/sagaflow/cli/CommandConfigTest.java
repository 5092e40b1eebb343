package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.sagaflow.cli.SagaflowCliTest.Run;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;

/** {@code --command-config FILE}: Kafka's client-settings file on every command that connects. */
@ExtendWith(LeakCheck.class)
class CommandConfigTest {
  private static final String PASSWORD = "cli-pw-never-printed-51c0";
  private static EmbeddedKafka kafka;

  @TempDir Path dir;

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withSaslPlainUser("alice", PASSWORD));
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  private Path config(String password) throws IOException {
    return Files.writeString(dir.resolve("client-" + password.hashCode() + ".properties"), String.join("\n",
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\",
        "    username=\"alice\" password=\"" + password + "\";",
        ""));
  }

  @Test
  void demoAndLagConnectWithTheFileAndNeverPrintItsSecrets() throws IOException {
    String file = config(PASSWORD).toString();
    Run demo = SagaflowCliTest.run("demo", "purchases", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", file, "--count", "20", "--rate", "0", "--consumers", "1", "--group-id", "cc-group");
    assertThat(demo.exitCode()).as(demo.out() + demo.err()).isZero();
    assertThat(demo.out()).contains("SASL_PLAINTEXT");
    Run lag = SagaflowCliTest.run("lag", "--group", "cc-group", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", file);
    assertThat(lag.exitCode()).as(lag.err()).isZero();
    assertThat(lag.out()).contains("purchases");
    assertThat(demo.out() + demo.err() + lag.out() + lag.err()).doesNotContain(PASSWORD);
  }

  @Test
  void aWrongPasswordIsAClearFailureThatNamesTheClusterNotThePassword() throws IOException {
    String wrong = PASSWORD + "-wrong";
    String file = config(wrong).toString();
    Run lag = SagaflowCliTest.run("lag", "--group", "g", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", file);
    assertThat(lag.exitCode()).isEqualTo(1);
    assertThat(lag.err()).contains("authentication to cluster default at " + kafka.saslBootstrapServers())
        .contains("Check the user, the password");
    Run dlq = SagaflowCliTest.run("dlq", "list", "--topic", "orders-dlt", "--bootstrap-servers",
        kafka.saslBootstrapServers(), "--command-config", file);
    assertThat(dlq.exitCode()).isEqualTo(1);
    assertThat(dlq.err()).contains("authentication to cluster default");
    assertThat(lag.out() + lag.err() + dlq.out() + dlq.err()).doesNotContain(wrong);
  }

  @Test
  void aMissingOrMisplacedFileIsAUsageError() throws IOException {
    Path missing = dir.resolve("nope.properties");
    for (String[] command : new String[][] {
        {"lag", "--group", "g"}, {"dlq", "list", "--topic", "t-dlt"}, {"demo", "purchases"}, {"demo", "pizza"}}) {
      String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
          java.util.stream.Stream.of("--command-config", missing.toString())).toArray(String[]::new);
      Run r = SagaflowCliTest.run(args);
      assertThat(r.exitCode()).as(String.join(" ", command)).isEqualTo(2);
      assertThat(r.err()).contains("--command-config " + missing + " does not exist");
    }
    Path withBootstrap = Files.writeString(dir.resolve("b.properties"), "bootstrap.servers=h:1\n");
    Run b = SagaflowCliTest.run("lag", "--group", "g", "--command-config", withBootstrap.toString());
    assertThat(b.exitCode()).isEqualTo(2);
    assertThat(b.err()).contains("give the brokers with --bootstrap-servers instead");
    Run embedded = SagaflowCliTest.run("demo", "pizza", "--command-config", config(PASSWORD).toString());
    assertThat(embedded.exitCode()).isEqualTo(2);
    assertThat(embedded.err()).contains("--command-config needs --bootstrap-servers").doesNotContain(PASSWORD);
  }
}
