package io.sagaflow.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.recovery.DeadLetterHeaders;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter against a real broker: listeners receive records, failures are dead-lettered, health
 * turns DOWN for an unwritable dead-letter topic and for a stalled key (and UP again once the cause
 * is gone), close drains in-flight work and commits it, metrics reach the application's registry,
 * and a saga consumer bean runs its saga.
 */
@ExtendWith({LeakCheck.class, KafkaExtension.class})
class SagaflowListenerTest {
  private static ApplicationContextRunner runner;

  @BeforeAll
  static void broker(EmbeddedKafka kafka) {
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SagaflowAutoConfiguration.class))
        .withPropertyValues("sagaflow.clusters.test.bootstrap-servers=" + kafka.bootstrapServers(),
            "sagaflow.processor.commit-interval=100ms",
            "sagaflow.recovery.policies.once.in-place-attempts=1",
            "sagaflow.recovery.policies.once.retry-topic-delays=")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new);
  }

  private static void createTopics(EmbeddedKafka kafka, String... topics) {
    for (String t : topics) {
      kafka.createTopic(t, 2);
    }
  }

  private static void send(ConfigurableApplicationContext context, String topic, String key, String value) {
    context.getBean(KafkaCluster.class).producer()
        .send(topic, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)).join();
  }

  private static Health health(ConfigurableApplicationContext context) {
    return context.getBean("sagaflowHealthIndicator", HealthIndicator.class).health();
  }

  // ---- records reach the listeners; metrics; a saga consumer bean -------------------------------

  record Purchase(String id, String item, int cents) {}

  static class Listeners {
    final Queue<Purchase> purchases = new ConcurrentLinkedQueue<>();
    final Queue<String> sagaOutputs = new ConcurrentLinkedQueue<>();

    @SagaflowListener(topics = "billing-purchases", groupId = "billing", concurrency = "50")
    void bill(Purchase purchase) {
      purchases.add(purchase);
    }

    @SagaflowListener(id = "saga-outputs", topics = "${test.output-topic}", groupId = "auditor", retry = "once")
    void audit(ProcessorRecord<String, String> record) {
      sagaOutputs.add(record.value());
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class ListenerConfig {
    @Bean
    Listeners listeners() {
      return new Listeners();
    }

    @Bean
    SagaConsumerDefinition<Purchase> shipping() {
      return SagaConsumerDefinition.<Purchase>of("to-ship", Purchase.class,
          (action, ctx) -> ctx.put("shipped", Map.of("item", action.payload().item())), "shipping");
    }
  }

  @Test
  void listenersReceiveRecordsPublishMetricsAndASagaConsumerRuns(EmbeddedKafka kafka) {
    createTopics(kafka, "billing-purchases", "to-ship", "shipped");
    runner.withUserConfiguration(ListenerConfig.class).withPropertyValues("test.output-topic=shipped")
        .run(context -> {
          assertThat(context).hasNotFailed();
          for (int i = 0; i < 5; i++) {
            send(context, "billing-purchases", "user-" + i, "{\"id\":\"p" + i + "\",\"item\":\"mug\",\"cents\":" + (100 + i)
                + ",\"unknownField\":true}");
          }
          Listeners listeners = context.getBean(Listeners.class);
          await().atMost(Duration.ofSeconds(20)).until(() -> listeners.purchases.size() == 5);
          assertThat(listeners.purchases).extracting(Purchase::id).containsExactlyInAnyOrder("p0", "p1", "p2", "p3", "p4");

          context.getBean(SagaRuntime.class).start("to-ship", new Purchase("p9", "teapot", 2500));
          await().atMost(Duration.ofSeconds(20)).until(() -> !listeners.sagaOutputs.isEmpty());
          assertThat(listeners.sagaOutputs.peek()).contains("\"payload\":{\"item\":\"teapot\"}", "transaction_id");

          MeterRegistry registry = context.getBean(MeterRegistry.class);
          await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(registry.get("sagaflow.processor.records")
              .tag("group", "billing").tag("outcome", "processed").counter().count()).isEqualTo(5.0));
          assertThat(registry.get("sagaflow.processor.in.flight").tag("group", "auditor").gauge()).isNotNull();

          Health health = health(context);
          assertThat(health.getStatus().getCode()).isEqualTo("UP");
          assertThat(health.getDetails()).containsKeys("listeners", "sagaConsumers", "sagasRunning");
          assertThat(String.valueOf(health.getDetails().get("listeners"))).contains("listeners.bill", "saga-outputs");
          assertThat(context.getBean(SagaflowContainer.class).status("listeners.bill")).isPresent();
        });
  }

  // ---- a failing listener dead-letters ----------------------------------------------------------

  static class Failing {
    final AtomicInteger attempts = new AtomicInteger();

    @SagaflowListener(topics = "orders", groupId = "orders-service", retry = "twice")
    void handle(String value) {
      attempts.incrementAndGet();
      throw new IllegalStateException("cannot bill " + value);
    }
  }

  @Test
  void aFailingListenerIsRetriedThenDeadLettered(EmbeddedKafka kafka) {
    createTopics(kafka, "orders");
    // retry = "twice" names this bean: a policy properties cannot express (its dead-letter naming)
    RetryPolicy twice = RetryPolicy.defaults().withInPlaceAttempts(2).withInitialBackoff(Duration.ofMillis(10))
        .withRetryTopicDelays(List.of()).withDeadLetterTopicNaming(topic -> topic + ".twice-dlt");
    runner.withBean(Failing.class).withBean("twice", RetryPolicy.class, () -> twice).run(context -> {
      assertThat(context).hasNotFailed();
      send(context, "orders", "order-1", "order one");
      List<ConsumerRecord<byte[], byte[]>> letters = readAll(kafka, "orders.twice-dlt", 1);
      ConsumerRecord<byte[], byte[]> letter = letters.get(0);
      assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo("order one");
      DeadLetterHeaders headers = DeadLetterHeaders.read(letter.headers());
      assertThat(headers.exceptionClass()).isEqualTo(IllegalStateException.class.getName());
      assertThat(headers.exceptionMessage()).isEqualTo("cannot bill order one");
      assertThat(headers.originalTopic()).isEqualTo("orders");
      assertThat(context.getBean(Failing.class).attempts).hasValue(2);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(registry.get("sagaflow.recovery.dead.lettered")
          .tag("topic", "orders").counter().count()).isEqualTo(1.0));
      assertThat(health(context).getStatus().getCode()).isEqualTo("UP");
    });
  }

  // ---- an unwritable dead-letter topic: DOWN, then UP ------------------------------------------

  static class Rejecting {
    @SagaflowListener(topics = "payments", groupId = "payments-service", retry = "once")
    void handle(String value) {
      throw new IllegalArgumentException("payment refused: " + value);
    }
  }

  @Test
  void healthIsDownWhileTheDeadLetterTopicRejectsWrites(EmbeddedKafka kafka) throws Exception {
    createTopics(kafka, "payments", "refunds");
    admin(kafka, a -> a.createTopics(List.of(
        new NewTopic("payments-dlt", 2, (short) 1).configs(Map.of("max.message.bytes", "200")),
        new NewTopic("refunds-dlt", 2, (short) 1).configs(Map.of("max.message.bytes", "200"))))
        .all().get(30, TimeUnit.SECONDS));
    SagaConsumerDefinition<String> refunds = SagaConsumerDefinition.of("refunds", String.class,
        (action, ctx) -> {
          throw new IllegalStateException("refund refused: " + action.payload());
        }, "refunds-service");
    runner.withBean(Rejecting.class).withBean("refundSaga", SagaConsumerDefinition.class, () -> refunds)
        .run(context -> {
          assertThat(context).hasNotFailed();
          send(context, "payments", "pay-1", "x".repeat(300));
          context.getBean(SagaRuntime.class).start("refunds", "y".repeat(300));
          await().atMost(Duration.ofSeconds(20)).until(() -> health(context).getStatus().getCode().equals("DOWN")
              && String.valueOf(health(context).getDetails().get("sagaConsumers")).contains("health=DOWN"));
          assertThat(String.valueOf(health(context).getDetails().get("listeners")))
              .contains("topics=[payments-dlt]", "RecordTooLargeException");
          assertThat(String.valueOf(health(context).getDetails().get("sagaConsumers")))
              .contains("refundSaga", "dead letters cannot be written to refunds-dlt", "RecordTooLargeException");

          for (String dlt : List.of("payments-dlt", "refunds-dlt")) {
            admin(kafka, a -> a.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, dlt),
                List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "1048576"),
                AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS));
          }
          await().atMost(Duration.ofSeconds(30)).until(() -> health(context).getStatus().getCode().equals("UP"));
          assertThat(readAll(kafka, "payments-dlt", 1)).hasSize(1);
          assertThat(readAll(kafka, "refunds-dlt", 1)).hasSize(1);
        });
  }

  // ---- a stalled key: DOWN, then UP ------------------------------------------------------------

  static class Stubborn {
    final AtomicBoolean poisoned = new AtomicBoolean(true);
    final Queue<String> done = new ConcurrentLinkedQueue<>();

    @SagaflowListener(topics = "stock", groupId = "stock-service", retry = "forever")
    void handle(ProcessorRecord<String, String> record) {
      if (record.key().equals("sku-13") && poisoned.get()) {
        throw new IllegalStateException("warehouse unreachable");
      }
      done.add(record.key());
    }
  }

  @Test
  void healthIsDownWhileAKeyIsStalled(EmbeddedKafka kafka) {
    createTopics(kafka, "stock");
    runner.withBean(Stubborn.class)
        .withPropertyValues("sagaflow.processor.stall-alarm-after=300ms",
            "sagaflow.recovery.policies.forever.in-place-attempts=1000000",
            "sagaflow.recovery.policies.forever.initial-backoff=10ms",
            "sagaflow.recovery.policies.forever.max-backoff=50ms",
            "sagaflow.recovery.policies.forever.retry-topic-delays=")
        .run(context -> {
          assertThat(context).hasNotFailed();
          send(context, "stock", "sku-13", "one");
          send(context, "stock", "sku-7", "two");
          await().atMost(Duration.ofSeconds(20)).until(() -> health(context).getStatus().getCode().equals("DOWN"));
          assertThat(String.valueOf(health(context).getDetails().get("listeners")))
              .contains("key=sku-13", "warehouse unreachable", "stalledCount=1");
          Stubborn stubborn = context.getBean(Stubborn.class);
          await().atMost(Duration.ofSeconds(10)).until(() -> stubborn.done.contains("sku-7")); // other keys go on
          stubborn.poisoned.set(false);
          await().atMost(Duration.ofSeconds(10)).until(() -> health(context).getStatus().getCode().equals("UP"));
          assertThat(stubborn.done).contains("sku-13");
        });
  }

  // ---- close drains in-flight work and commits it ----------------------------------------------

  static class Slow {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger finished = new AtomicInteger();

    @SagaflowListener(topics = "reports", groupId = "reporting", retry = "once")
    void handle(String value) throws InterruptedException {
      entered.countDown();
      release.await(); // an interrupt here (a drain that gave up) would leave finished at 0
      finished.incrementAndGet();
    }
  }

  @Test
  void closingTheContextDrainsInFlightRecordsAndCommitsThem(EmbeddedKafka kafka) throws Exception {
    createTopics(kafka, "reports");
    AtomicBoolean closedEarly = new AtomicBoolean();
    runner.withBean(Slow.class).run(context -> {
      assertThat(context).hasNotFailed();
      send(context, "reports", "r-1", "quarterly");
      Slow slow = context.getBean(Slow.class);
      assertThat(slow.entered.await(20, TimeUnit.SECONDS)).isTrue();
      SagaflowContainer container = context.getBean(SagaflowContainer.class);
      Thread closer = Thread.ofPlatform().name("test-close").start(context::close);
      await().atMost(Duration.ofSeconds(10)).until(() -> !container.isRunning()); // the drain has begun
      closedEarly.set(!closer.isAlive());
      slow.release.countDown();
      closer.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(closer.isAlive()).isFalse();
      assertThat(slow.finished).hasValue(1);
    });
    assertThat(closedEarly).as("the close waited for the record in flight").isFalse();
    admin(kafka, a -> {
      Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets("reporting")
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum())
          .as("the drained record's offset is committed").isEqualTo(1);
    });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static void admin(EmbeddedKafka kafka, AdminCall call) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      call.run(admin);
    }
  }

  @FunctionalInterface
  interface AdminCall {
    void run(Admin admin) throws Exception;
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(EmbeddedKafka kafka, String topic, int expected) {
    Properties p = kafka.clientProperties();
    p.put("group.id", "reader-" + topic + "-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    assertThat(out).as("records of " + topic).hasSize(expected);
    return out;
  }
}
