package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;

@ExtendWith({LeakCheck.class, KafkaExtension.class})
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
}
