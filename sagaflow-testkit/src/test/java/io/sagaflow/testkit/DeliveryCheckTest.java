package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;

@ExtendWith({LeakCheck.class, KafkaExtension.class})
class DeliveryCheckTest {

  @Test
  void countsLostDuplicatedReorderedAndAbortedRecords(EmbeddedKafka kafka) throws Exception {
    kafka.createTopic("checked", 2);
    List<String> expected = List.of(
        DeliveryCheck.value("a", 1), DeliveryCheck.value("a", 2), DeliveryCheck.value("a", 3),
        DeliveryCheck.value("b", 1), DeliveryCheck.value("b", 2));
    try (KafkaProducer<String, String> plain =
        new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), new StringSerializer())) {
      for (String v : List.of("a:1", "a:3", "a:2", "b:1", "b:1", "z:9")) { // a:2 late, b:1 twice, z:9 stray, b:2 lost
        plain.send(new ProducerRecord<>("checked", v.substring(0, 1), v)).get();
      }
    }
    var txProps = kafka.clientProperties();
    txProps.putAll(Map.of("transactional.id", "check-aborted"));
    try (KafkaProducer<String, String> tx = new KafkaProducer<>(txProps, new StringSerializer(), new StringSerializer())) {
      tx.initTransactions();
      tx.beginTransaction();
      tx.send(new ProducerRecord<>("checked", "b", "b:2")).get();
      tx.abortTransaction(); // an aborted copy must not count as delivered
    }
    DeliveryCheck.Report r = DeliveryCheck.read(kafka.bootstrapServers(), "checked", expected, Duration.ofSeconds(2));
    assertThat(r.read()).isEqualTo(6);
    assertThat(r.lost()).isEqualTo(1);
    assertThat(r.lostSample()).containsExactly("b:2");
    assertThat(r.duplicates()).isEqualTo(1);
    assertThat(r.reordered()).isEqualTo(1);
    assertThat(r.unexpected()).isEqualTo(1);
    assertThat(r.exactlyOnceInOrder()).isFalse();
    // Every writer stopped: reading to the end sees the same, without a quiet time.
    assertThat(DeliveryCheck.readToEnd(kafka.bootstrapServers(), "checked", expected, Duration.ofSeconds(30)))
        .isEqualTo(r);
  }

  @Test
  void readToEndSaysSoWhenATransactionStillOpenHoldsTheEndBack(EmbeddedKafka kafka) throws Exception {
    kafka.createTopic("held", 1);
    var txProps = kafka.clientProperties();
    txProps.putAll(Map.of("transactional.id", "check-open"));
    try (KafkaProducer<String, String> tx = new KafkaProducer<>(txProps, new StringSerializer(), new StringSerializer());
        KafkaProducer<String, String> plain =
            new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), new StringSerializer())) {
      tx.initTransactions();
      tx.beginTransaction();
      tx.send(new ProducerRecord<>("held", "a", "a:1")).get();
      plain.send(new ProducerRecord<>("held", "b", "b:1")).get(); // behind the open transaction
      assertThat(DeliveryCheck.readToEnd(kafka.bootstrapServers(), "held", List.of("b:1"), Duration.ofSeconds(30)))
          .as("the end is the last stable offset: nothing readable yet").satisfies(r -> {
            assertThat(r.read()).isZero();
            assertThat(r.lost()).isEqualTo(1);
          });
      tx.commitTransaction();
    }
    DeliveryCheck.Report r = DeliveryCheck.readToEnd(kafka.bootstrapServers(), "held", List.of("a:1", "b:1"),
        Duration.ofSeconds(30));
    assertThat(r.read()).isEqualTo(2);
    assertThat(r.exactlyOnceInOrder()).isTrue();
  }
}
