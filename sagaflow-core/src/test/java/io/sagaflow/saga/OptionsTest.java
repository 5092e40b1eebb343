package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.kafka.TopicSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {

  @Test
  void sagaOptionsValidateAndNameTheProblem() {
    assertThatThrownBy(() -> SagaOptions.defaults().withChannelCapacity(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("channelCapacity (0) must be positive");
    assertThatThrownBy(() -> SagaOptions.defaults().withSagaTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sagaTimeout (PT0S) must be positive")
        .hasMessageContaining("withoutTimeout()");
    SagaOptions o = SagaOptions.defaults().withKafkaProperty("bootstrap.servers", "h:1").withChannelCapacity(5);
    assertThat(o.cluster()).isEqualTo(io.sagaflow.kafka.ClusterOptions.of("h:1"));
    assertThat(o.kafkaProperties()).doesNotContainKey("bootstrap.servers");
    assertThat(o.channelCapacity()).isEqualTo(5);
  }

  @Test
  void aKafkaRuntimeNeedsBootstrapServers() {
    assertThatThrownBy(() -> Sagas.runtime(SagaOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SagaOptions has no Kafka cluster")
        .hasMessageContaining("withBootstrapServers");
  }

  @Test
  void consumerOptionsAndTopicSpecsValidate() {
    assertThatThrownBy(() -> SagaConsumerOptions.of("g", "dlt").withMaxInFlight(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxInFlight (0) must be positive");
    assertThatThrownBy(() -> TopicSpec.of("t", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("partitions (0) of topic t must be positive, or -1 for the broker default");
    assertThatThrownBy(() -> TopicSpec.of("t", 1).withReplicationFactor(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replicationFactor (0)");
    assertThatThrownBy(() -> io.sagaflow.kafka.TopicDefaults.of(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("default partitions (0) must be positive, or -1 for the broker default");
    assertThatThrownBy(() -> SagaConsumerOptions.of("g", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass null for <topic>-dlt");
    assertThat(SagaConsumerOptions.of("g").deadLetterTopicFor("ORDERS")).isEqualTo("ORDERS-dlt");
    assertThat(SagaConsumerOptions.of("g", "X").deadLetterTopicFor("ORDERS")).isEqualTo("X");
    assertThat(SagaOptions.defaults().withoutTimeout().hasTimeout()).isFalse();
    assertThat(SagaOptions.defaults().hasTimeout()).isTrue();
  }

  @Test
  void effectsValidateTheirInputs() {
    assertThatThrownBy(() -> Effects.delay(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be negative");
    assertThatThrownBy(() -> Effects.race(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("race needs at least one effect");
    assertThatThrownBy(() -> ActionPattern.anyOf(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("an action pattern needs at least one topic");
    assertThatThrownBy(() -> new Take<>(null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
    assertThat(Effects.put("A", 1).withTopic("B")).isEqualTo(new Put("B", 1, Map.of()));
  }

  @Test
  void actionsCompareHeadersByContent() {
    Action<String> a = new Action<>("T", "tx", "p", Map.of("h", new byte[] {1}));
    Action<String> b = new Action<>("T", "tx", "p", Map.of("h", new byte[] {1}));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThatThrownBy(() -> Action.of("T", " ", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("transactionId must not be blank");
  }
}
