package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.ExactlyOnce;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class ClientPropertiesTest {

  @Test
  void theConsumerGetsWhatTheProcessorOwnsAndKeepsTheUsersSettings() {
    Map<String, Object> props = ClientProperties.consumer(LoopHarness.options()
        .withKafkaProperty(ConsumerConfig.CLIENT_ID_CONFIG, "billing")
        .withKafkaProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest")
        .withConsumers(2), 1);
    assertThat(props)
        .containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1")
        .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "g")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest")
        .containsEntry(ConsumerConfig.CLIENT_ID_CONFIG, "billing-1")
        .doesNotContainKey(ConsumerConfig.ISOLATION_LEVEL_CONFIG);
  }

  @Test
  void exactlyOnceReadsCommittedAndItsProducerIsTransactional() {
    var options = LoopHarness.options().withExactlyOnce(ExactlyOnce.defaults());
    assertThat(ClientProperties.consumer(options, 0))
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    assertThat(ClientProperties.producer(options, "tx-0", "tx-0"))
        .containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-0")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
  }

  @Test
  void theLoopCreatesItsConsumerThroughTheFactoryWithTheseProperties() {
    LoopHarness h = new LoopHarness(LoopHarness.options(), r -> { }).assign(LoopHarness.tp(0));
    java.util.Map<String, Object> expected = new java.util.HashMap<>(ClientProperties.consumer(LoopHarness.options(), 0));
    java.util.Map<String, Object> actual = new java.util.HashMap<>(h.consumerProperties);
    // Every client gets a client id of its own from the factory's sequence; the rest is equal.
    assertThat(actual.remove("client.id")).asString().startsWith("sagaflow-default-consumer-g-");
    expected.remove("client.id");
    assertThat(actual).isEqualTo(expected);
    assertThat(h.consumer.subscription()).containsExactly(LoopHarness.TOPIC);
  }

  @Test
  void anInstanceIdMakesEachConsumerAStaticMemberOfItsOwn() {
    var options = LoopHarness.options().withInstanceId("pod-7").withConsumers(2);
    assertThat(ClientProperties.consumer(options, 0)).containsEntry("group.instance.id", "pod-7-0");
    assertThat(ClientProperties.consumer(options, 1)).containsEntry("group.instance.id", "pod-7-1");
    assertThat(ClientProperties.consumer(LoopHarness.options(), 0)).doesNotContainKey("group.instance.id");
  }
}
