package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;

@ExtendWith({KafkaExtension.class, LeakCheck.class})
class KafkaExtensionTest {
  private static EmbeddedKafka fromBeforeAll;

  @BeforeAll
  static void remember(EmbeddedKafka kafka) {
    fromBeforeAll = kafka;
  }

  @Test
  void injectsOneRunningBrokerPerClass(EmbeddedKafka kafka) throws Exception {
    assertThat(kafka).isSameAs(fromBeforeAll);
    assertThat(kafka.isRunning(1)).isTrue();
    Properties p = kafka.clientProperties();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("ext", "k", "v")).get();
    }
  }

  @Test
  void leakCheckSeesAClientLeftOpenAndNotOneClosed(EmbeddedKafka kafka) throws Exception {
    Set<String> before = LeakCheck.watchedThreads();
    KafkaProducer<String, String> producer =
        new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), new StringSerializer());
    try {
      assertThat(LeakCheck.leakedSince(before, Duration.ofMillis(100)))
          .anyMatch(n -> n.startsWith("kafka-producer-network-thread"));
    } finally {
      producer.close();
    }
    assertThat(LeakCheck.leakedSince(before, Duration.ofSeconds(10))).isEmpty();
  }
}
