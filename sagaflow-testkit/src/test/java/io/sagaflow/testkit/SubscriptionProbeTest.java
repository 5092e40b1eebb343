package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test waits for a {@code take(topic)} to listen with no warm-up channel and no sleep: once
 * {@link SubscriptionProbe#awaitListening} returns, a reply written by the test is seen.
 */
@ExtendWith({LeakCheck.class, KafkaExtension.class})
class SubscriptionProbeTest {

  private static SagaOptions options(EmbeddedKafka kafka) {
    return SagaOptions.defaults().withBootstrapServers(kafka.bootstrapServers());
  }

  @Test
  void aTestWritesTheReplyOnceTheTakeListensAndTheTakeSeesIt(EmbeddedKafka kafka) throws Exception {
    String reply = "probe-REPLY";
    kafka.createTopic(reply, 2);
    SagaOptions options = options(kafka);
    SubscriptionProbe probe = SubscriptionProbe.kafka(options);
    try (SagaRuntime runtime = probe.runtime(options);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.clientProperties(),
            new ByteArraySerializer(), new ByteArraySerializer())) {
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String tx = "tx-probe-" + i;
        List<String> taken = new ArrayList<>();
        // The saga takes straight away: no channel opened before, nothing to warm up.
        CompletableFuture<Void> run = runtime.run((Saga<JsonNode>) (action, ctx) ->
            taken.add(ctx.take(reply, String.class).payload()), Action.of("IN", tx, (JsonNode) null));
        probe.awaitListening(tx, reply);
        assertThat(probe.isListening(tx, "another-topic")).isFalse();
        producer.send(new ProducerRecord<>(reply, ("{\"transaction_id\":\"" + tx + "\",\"payload\":\"r" + i + "\"}")
            .getBytes(StandardCharsets.UTF_8))).get();
        run.get(60, TimeUnit.SECONDS);
        assertThat(taken).containsExactly("r" + i);
        // The take closed its subscription when it returned.
        assertThat(probe.isListening(tx, reply)).isFalse();
        runs.add(run);
      }
      assertThat(runs).allMatch(CompletableFuture::isDone);
    }
  }

  @Test
  void awaitingATakeThatNeverListensFailsNamingWhatListens(EmbeddedKafka kafka) {
    try (SubscriptionProbe probe = SubscriptionProbe.kafka(options(kafka))) {
      assertThatThrownBy(() -> probe.awaitListening("tx-none", "NOWHERE", Duration.ofMillis(200)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("transaction tx-none did not start listening on NOWHERE")
          .hasMessageContaining("listening now: []");
    }
  }
}
