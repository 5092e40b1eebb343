package io.sagaflow.examples.purchases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class PurchaseDemoConfigTest {

  @Test
  void readsTheEnvironmentAndKeepsDefaultsForWhatIsUnset() {
    PurchaseDemoConfig c = PurchaseDemoConfig.fromEnvironment(Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9999",
        "KAFKA_PARTITIONS", "12",
        "KAFKA_GROUP_ID", "billing"));
    assertThat(c.bootstrapServers()).isEqualTo("127.0.0.1:9999");
    assertThat(c.partitions()).isEqualTo(12);
    assertThat(c.groupId()).isEqualTo("billing");
    assertThat(c.consumers()).isEqualTo(3);
    assertThat(PurchaseDemoConfig.fromEnvironment(Map.of()).bootstrapServers()).isNull();
  }

  @Test
  void namesTheVariableThatIsNotANumber() {
    assertThatThrownBy(() -> PurchaseDemoConfig.fromEnvironment(Map.of("KAFKA_CONSUMER_COUNT", "three")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KAFKA_CONSUMER_COUNT (three) must be a whole number: fix or unset the environment variable");
  }

  @Test
  void rejectsImpossibleValues() {
    assertThatThrownBy(() -> PurchaseDemoConfig.defaults().withPartitions(0))
        .hasMessageContaining("partitions (KAFKA_PARTITIONS, --partitions) (0) must be at least 1");
    assertThatThrownBy(() -> PurchaseDemoConfig.defaults().withRate(-1))
        .hasMessageContaining("rate (-1)");
  }
}
