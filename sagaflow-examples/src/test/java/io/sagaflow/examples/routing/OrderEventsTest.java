package io.sagaflow.examples.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;

@ExtendWith(LeakCheck.class)
class OrderEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void routesTheOrderEventsWritesInvoicesAndDeadLettersTheUnknownEvent() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      OrderEvents.Result r = OrderEvents.run(kafka.bootstrapServers(), new PrintStream(printed, true, StandardCharsets.UTF_8));

      assertThat(r.handled()).containsExactlyInAnyOrder(
          "created o-1 x2", "created o-2 x0", "cancelled o-1 (attempt 1, billing)");
      assertThat(r.handled().indexOf("created o-1 x2")).as("in order per key")
          .isLessThan(r.handled().indexOf("cancelled o-1 (attempt 1, billing)"));
      assertThat(r.deadLetters()).singleElement().asString()
          .startsWith("io.sagaflow.routing.RoutingException$UnknownEvent: no handler for event \"OrderShipped\"");
      assertThat(printed.toString(StandardCharsets.UTF_8)).contains("dead letter: ");

      Properties props = kafka.clientProperties();
      props.put("group.id", "invoice-reader");
      props.put("auto.offset.reset", "earliest");
      props.put("isolation.level", "read_committed");
      List<String> invoices = new ArrayList<>();
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
        c.subscribe(List.of(OrderEvents.INVOICES));
        await("two invoices").atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ofMillis(1))
            .until(() -> {
              for (ConsumerRecord<String, String> rec : c.poll(Duration.ofMillis(100))) {
                JsonNode envelope = JSON.readTree(rec.value()); // field order of the JSON is not fixed
                invoices.add(rec.key() + " " + envelope.path("event").asText() + " " + envelope.path("data"));
              }
              return invoices.size() >= 2;
            });
      }
      assertThat(invoices).containsExactlyInAnyOrder(
          "o-1 InvoiceRequested {\"orderId\":\"o-1\",\"quantity\":2}",
          "o-2 InvoiceRequested {\"orderId\":\"o-2\",\"quantity\":0}");
    }
  }
}
