package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A durable saga consumer while every broker of its cluster is down: its status says
 * DISCONNECTED and DOWN, naming the servers, within its connection timeout; the journal
 * transaction of a put made during the outage fails; when the brokers are back the consumer
 * rebuilds its sagas from the journal by itself, and the saga completes with each put once.
 *
 * <p>The short, in-suite form of an outage for durable sagas, beside the chaos scenarios' (the
 * broker-outage scenario is the Processor's). Here rather than in sagaflow-core: it uses the public
 * API only, and its 3-broker cluster takes most of a minute, which this module's place in the
 * build has room for within the time budget.
 */
@ExtendWith(LeakCheck.class)
class DurableSagaOutageTest {

  private final CountDownLatch outage = new CountDownLatch(1);

  @Test
  void aWaitingSagaOutlivesAnOutageOfEveryBrokerAndHealthSaysSoMeanwhile() {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withBrokers(3))) {
      String orders = "ORDER";
      String request = "REQUEST";
      String replies = "REPLY";
      String middle = "MIDDLE";
      String done = "DONE";
      for (String t : List.of(orders, request, middle, replies, done)) {
        kafka.createTopic(t, 1);
      }
      Saga<JsonNode> saga = (action, ctx) -> {
        ActionChannel<JsonNode> channel = ctx.actionChannel(replies);
        ctx.put(request, action.payload());
        // Returns once every broker is down (and at once when called again after the rebuild): the
        // transaction that journals it and the next put fails.
        ctx.call("await-the-outage", () -> {
          outage.await();
          return "down";
        });
        ctx.put(middle, action.payload());
        ctx.put(done, ctx.take(channel).payload());
      };
      // A rebuild's initTransactions gives up after 3 s while the brokers are away (10 s by default).
      try (SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults()
              .withKafkaProperty("bootstrap.servers", kafka.bootstrapServers()).withKafkaProperty("max.block.ms", 3000));
          SagaConsumer consumer = runtime.consumer(orders, JsonNode.class, saga, SagaConsumerOptions.of("kitchen")
              .durable().withConnectionTimeout(Duration.ofSeconds(3)).withDrainTimeout(Duration.ofSeconds(5)))) {
        String tx = runtime.start(orders, "margherita");
        await().atMost(Duration.ofSeconds(60)).until(() -> transactions(kafka, runtime, request).contains(tx));
        assertThat(consumer.status().health()).isEqualTo(ProcessorStatus.Health.UP);

        for (int b : kafka.brokerIds()) {
          kafka.stopBroker(b);
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          ProcessorStatus s = consumer.status();
          assertThat(s.state()).isEqualTo(ProcessorStatus.State.DISCONNECTED);
          assertThat(s.health()).isEqualTo(ProcessorStatus.Health.DOWN);
          assertThat(s.problems()).anySatisfy(p -> assertThat(p).contains(kafka.bootstrapServers().split(",")[0])
              .contains("connectionTimeout"));
        });
        outage.countDown();
        await().atMost(Duration.ofSeconds(60)).until(() -> consumer.status().lastError().isPresent());
        for (int b : kafka.brokerIds()) {
          kafka.restartBroker(b);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> consumer.status().health() == ProcessorStatus.Health.UP);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers",
            kafka.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
          p.send(new ProducerRecord<>(replies, runtime.codec().encodeValue(Action.of(replies, tx, "baked"))));
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> transactions(kafka, runtime, done).contains(tx));
        assertThat(transactions(kafka, runtime, request)).as("the journaled put is not repeated").containsExactly(tx);
        assertThat(transactions(kafka, runtime, middle)).as("the put whose transaction failed, once").containsExactly(tx);
        assertThat(consumer.status().state()).isEqualTo(ProcessorStatus.State.RUNNING);
      }
    }
  }

  private static List<String> transactions(EmbeddedKafka kafka, SagaRuntime runtime, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = List.of(new TopicPartition(topic, 0));
      c.assign(parts);
      c.seekToBeginning(parts);
      long end = c.endOffsets(parts).get(parts.get(0));
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      while (c.position(parts.get(0)) < end) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
      return out.stream().map(r -> runtime.codec().decode(r).transactionId()).toList();
    }
  }
}
