package io.sagaflow.saga;

import io.sagaflow.embedded.LeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A saga consumer whose saga fails: its compensation puts reach Kafka, then it is dead-lettered. */
@ExtendWith(LeakCheck.class)
class SagaCompensationBrokerTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = List.of(new TopicPartition(topic, 0));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void aFailingSagaCompensatesThenIsDeadLettered() throws Exception {
    for (String t : List.of("ORDER", "CHARGED", "REFUNDED", "ORDER_DLT")) {
      kafka.createTopic(t, 1);
    }
    Saga<JsonNode> saga = (action, ctx) -> {
      ctx.put("CHARGED", action.payload());
      ctx.addCompensation(c -> c.put("REFUNDED", action.payload()));
      throw new IllegalStateException("the kitchen is closed");
    };
    SagaOptions options = SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers());
    try (SagaRuntime runtime = Sagas.runtime(options);
        SagaConsumer consumer = runtime.consumer("ORDER", JsonNode.class, saga,
            SagaConsumerOptions.of("orders", "ORDER_DLT").withDrainTimeout(Duration.ofSeconds(10)))) {
      String tx = runtime.start("ORDER", Map.of("cents", 1200));

      List<ConsumerRecord<byte[], byte[]>> refunds = readAll("REFUNDED", 1);
      assertThat(refunds).hasSize(1);
      Action<?> refund = runtime.codec().decode(refunds.get(0));
      assertThat(refund.transactionId()).isEqualTo(tx);
      assertThat(((JsonNode) refund.payload()).get("cents").asInt()).isEqualTo(1200);

      List<ConsumerRecord<byte[], byte[]>> dead = readAll("ORDER_DLT", 1);
      assertThat(dead).hasSize(1);
      assertThat(runtime.codec().decode(dead.get(0)).transactionId()).isEqualTo(tx);
      assertThat(header(dead.get(0), "kafka_dlt-exception-message")).isEqualTo("the kitchen is closed");
      assertThat(header(dead.get(0), "kafka_dlt-exception-stacktrace"))
          .contains(CompensationException.class.getName()
              + ": the saga was compensated after its failure: 1 of 1 step(s) ran, all succeeded");
      Await.until("the dead letter is counted", () -> consumer.deadLetters() == 1);
    }
  }
}
