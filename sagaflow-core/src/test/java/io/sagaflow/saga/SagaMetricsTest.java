package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicDefaults;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** MicrometerSagaMetrics against a real broker: runs by outcome, effect and put latency, reply lag, in flight. */
@ExtendWith(LeakCheck.class)
class SagaMetricsTest {

  @Test
  void countsRunsAndTimesEffectsPutsAndReplies() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // Each saga replies to itself: the put on "pong" comes back through the reply consumer to its take.
    Saga<String> saga = (action, ctx) -> {
      if (action.payload().equals("boom")) {
        throw new IllegalStateException("boom");
      }
      ActionChannel<String> pongs = ctx.actionChannel("pong", String.class);
      ctx.put("pong", action.payload());
      ctx.take(pongs);
    };
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        TopicAdministrator topics = TopicAdministrator.create(ClusterOptions.of(kafka.bootstrapServers()),
            TopicDefaults.of(1))) {
      SagaOptions options = SagaOptions.defaults().withBootstrapServers(kafka.bootstrapServers())
          .withTopicAdministrator(topics).withMetrics(MicrometerSagaMetrics.of(registry));
      try (SagaRuntime runtime = Sagas.runtime(options);
          SagaConsumer consumer = runtime.consumer("ping", String.class, saga, "metrics")) {
        await().atMost(Duration.ofSeconds(60)).until(consumer::isAssigned);
        runtime.start("ping", "one");
        runtime.start("ping", "boom");
        runtime.start("ping", "two");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(runs(registry, "completed")).isEqualTo(2);
          assertThat(runs(registry, "failed")).isEqualTo(1);
          assertThat(runs(registry, "dead.lettered")).isEqualTo(1);
        });
        assertThat(runs(registry, "started")).isEqualTo(3);
        assertThat(registry.get("sagaflow.saga.in.flight").gauge().value()).isZero();
        assertThat(registry.get("sagaflow.saga.duration").tag("topic", "ping").tag("outcome", "failed").timer()
            .count()).isEqualTo(1);
        assertThat(effects(registry, "actionChannel")).isEqualTo(2);
        assertThat(effects(registry, "put")).isEqualTo(2);
        assertThat(effects(registry, "take")).isEqualTo(2);
        // the starts are puts outside a saga: only the two in the runs count
        Timer puts = registry.get("sagaflow.saga.put.latency").tag("topic", "pong").tag("outcome", "completed")
            .timer();
        assertThat(puts.count()).isEqualTo(2);
        assertThat(puts.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
        assertThat(registry.get("sagaflow.saga.reply.lag").tag("topic", "pong").timer().count()).isEqualTo(2);
      }
      assertThat(registry.find("sagaflow.saga.in.flight").gauge()).as("removed on close").isNull();
    }
  }

  private static double runs(SimpleMeterRegistry registry, String outcome) {
    Counter c = registry.find("sagaflow.saga.runs").tag("topic", "ping").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  private static long effects(SimpleMeterRegistry registry, String kind) {
    return registry.get("sagaflow.saga.effect.latency").tag("topic", "ping").tag("kind", kind)
        .tag("outcome", "completed").timer().count();
  }
}
