package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.sagaflow.embedded.BrokerSecurity;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.ListenerKind;
import picocli.CommandLine;

/** The security flags of {@code sagaflow broker} map to {@link EmbeddedKafkaOptions} (no broker started). */
class BrokerCommandTest {

  private static BrokerCommand parse(String... args) {
    BrokerCommand command = new BrokerCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void securityFlagsOpenTheMatchingListeners() {
    BrokerSecurity security = parse("--sasl-plain", "alice:a:b", "--scram", "bob:bob-secret",
        "--oauthbearer", "--tls").options().security();
    assertThat(security.plainUsers()).containsEntry("alice", "a:b");
    assertThat(security.scramUsers()).containsEntry("bob", "bob-secret");
    assertThat(security.oauthBearer()).isTrue();
    assertThat(security.listeners()).containsExactly(
        ListenerKind.SASL_PLAINTEXT, ListenerKind.SSL, ListenerKind.MTLS, ListenerKind.SASL_SSL);
  }

  @Test
  void withoutFlagsTheBrokerIsPlaintextOnly() {
    assertThat(parse().options().security()).isEqualTo(BrokerSecurity.none());
  }

  @Test
  void aUserWithoutPasswordIsAUsageError() {
    assertThatThrownBy(() -> parse("--scram", "bob").options())
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--scram takes USER:PASSWORD");
  }
}
