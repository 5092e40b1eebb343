package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;

/** The original's group behaviour: three consumers share a 10-partition topic, each message runs once. */
@ExtendWith(LeakCheck.class)
class SagaConsumerGroupTest {

  @Test
  void threeConsumersOnATenPartitionTopicProcessAHundredMessagesExactlyOnceBetweenThem() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("GROUP_WORK", 10);
      SagaOptions options = SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers());
      Map<String, AtomicInteger> runsPerTransaction = new ConcurrentHashMap<>();
      Map<String, AtomicInteger> runsPerConsumer = new ConcurrentHashMap<>();
      List<SagaRuntime> runtimes = new ArrayList<>();
      List<SagaConsumer> consumers = new ArrayList<>();
      try {
        for (int i = 1; i <= 3; i++) {
          String name = "consumer-" + i;
          SagaRuntime runtime = Sagas.runtime(options.withKafkaProperty("client.id", name));
          runtimes.add(runtime);
          Saga<Integer> count = (action, ctx) -> {
            runsPerTransaction.computeIfAbsent(action.transactionId(), t -> new AtomicInteger()).incrementAndGet();
            runsPerConsumer.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
          };
          consumers.add(runtime.consumer("GROUP_WORK", Integer.class, count,
              SagaConsumerOptions.of("group-work", "GROUP_WORK-dlt")));
        }
        await("all three consumers assigned").atMost(Duration.ofSeconds(60))
            .until(() -> consumers.stream().allMatch(SagaConsumer::isAssigned));
        List<String> transactions = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          transactions.add(runtimes.get(0).start("GROUP_WORK", i));
        }
        await("all 100 messages processed").atMost(Duration.ofSeconds(60))
            .untilAsserted(() -> assertThat(runsPerTransaction).hasSize(100));
        assertThat(runsPerTransaction.keySet()).containsExactlyInAnyOrderElementsOf(transactions);
        assertThat(runsPerTransaction.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(runsPerConsumer.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(100);
        assertThat(runsPerConsumer).as("the work was shared").hasSizeGreaterThanOrEqualTo(2);
      } finally {
        consumers.forEach(SagaConsumer::close);
        runtimes.forEach(SagaRuntime::close);
      }
      // Nothing ran twice after the group settled: a second look finds the same single runs.
      assertThat(runsPerTransaction.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }
  }
}
