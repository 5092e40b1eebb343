package io.sagaflow.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.examples.pizza.DeliverySaga;
import io.sagaflow.examples.pizza.KitchenSaga;
import io.sagaflow.examples.pizza.OrderSaga;
import io.sagaflow.examples.pizza.Oven;
import io.sagaflow.examples.pizza.Pizza;
import io.sagaflow.examples.pizza.PizzaOrder;
import io.sagaflow.examples.pizza.PizzaTopics;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicDefaults;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The three-process pizza flow (order, kitchen and delivery sagas, each on a runtime of its own as
 * if deployed apart) on a real broker yields one connected trace: every put carries its own span's
 * context to the next process.
 */
@ExtendWith(LeakCheck.class)
class PizzaTraceTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aPizzaOrderIsOneTraceAcrossTheThreeSagas() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
        EmbeddedKafka kafka = EmbeddedKafka.start()) {
      OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
      ClusterOptions cluster = ClusterOptions.of(kafka.bootstrapServers());
      List<AutoCloseable> closing = new ArrayList<>();
      Span checkout = otel.getTracer("test").spanBuilder("checkout").startSpan();
      try (TopicAdministrator topics = TopicAdministrator.create(cluster, TopicDefaults.of(1))) {
        SagaOptions options = SagaOptions.defaults().withCluster(cluster).withTopicAdministrator(topics)
            .withTracing(SagaflowTelemetry.create(otel));
        SagaRuntime kitchen = runtime(options, closing);
        SagaRuntime delivery = runtime(options, closing);
        SagaRuntime order = runtime(options, closing);
        topics.ensureTopics(PizzaTopics.ALL.toArray(String[]::new));
        List<SagaConsumer> consumers = List.of(
            kitchen.consumer(PizzaTopics.CREATE_BEGIN, PizzaOrder.class,
                new KitchenSaga(Oven.demo(Duration.ofMillis(10), Duration.ofMillis(20))), "pizza-kitchen"),
            delivery.consumer(PizzaTopics.DELIVER_BEGIN, Pizza.class, new DeliverySaga(Duration.ofMillis(10)),
                "pizza-delivery"),
            order.consumer(PizzaTopics.ORDER_PLACED, PizzaOrder.class,
                new OrderSaga(Duration.ofSeconds(30), Duration.ofSeconds(30)), "pizza-order"));
        consumers.forEach(c -> closing.add(0, c));
        await().atMost(WAIT).until(() -> consumers.stream().allMatch(SagaConsumer::isAssigned));

        Scope scope = checkout.makeCurrent(); // as a web request placing the order would be
        try {
          order.start(PizzaTopics.ORDER_PLACED, new PizzaOrder("o-1", "margherita", "1 Main St"));
        } finally {
          scope.close();
          checkout.end();
        }
        await().atMost(WAIT).until(() -> find(spans, "saga " + PizzaTopics.ORDER_PLACED) != null);
      } finally {
        for (AutoCloseable c : closing) {
          c.close();
        }
      }

      List<SpanData> all = spans.getFinishedSpanItems();
      assertThat(all.stream().map(SpanData::getTraceId).collect(Collectors.toSet()))
          .as("one trace: %s", all).containsExactly(checkout.getSpanContext().getTraceId());

      // order saga -> put CREATE_PIZZA_BEGIN -> kitchen's consumer span -> kitchen's run
      SpanData orderRun = find(spans, "saga " + PizzaTopics.ORDER_PLACED);
      SpanData putToKitchen = find(spans, "send " + PizzaTopics.CREATE_BEGIN);
      SpanData kitchenRecord = find(spans, "process " + PizzaTopics.CREATE_BEGIN);
      SpanData kitchenRun = find(spans, "saga " + PizzaTopics.CREATE_BEGIN);
      assertThat(parentOf(spans, parentOf(spans, putToKitchen))).isEqualTo(orderRun); // the put effect between
      assertThat(parentOf(spans, putToKitchen).getName()).isEqualTo("put");
      assertThat(kitchenRecord.getParentSpanId()).isEqualTo(putToKitchen.getSpanId());
      assertThat(kitchenRun.getParentSpanId()).isEqualTo(kitchenRecord.getSpanId());
      // ... the kitchen's reply is put in the kitchen's run, the order asks for delivery in its own.
      SpanData kitchenReply = find(spans, "send " + PizzaTopics.CREATE_SUCCESS);
      assertThat(parentOf(spans, parentOf(spans, kitchenReply))).isEqualTo(kitchenRun);
      SpanData deliveryRun = find(spans, "saga " + PizzaTopics.DELIVER_BEGIN);
      SpanData putToDelivery = find(spans, "send " + PizzaTopics.DELIVER_BEGIN);
      assertThat(parentOf(spans, parentOf(spans, deliveryRun))).isEqualTo(putToDelivery);
      assertThat(parentOf(spans, parentOf(spans, putToDelivery))).isEqualTo(orderRun);
      // the order itself: started under the checkout span, consumed by the order saga
      SpanData placed = find(spans, "send " + PizzaTopics.ORDER_PLACED);
      assertThat(placed.getParentSpanId()).isEqualTo(checkout.getSpanContext().getSpanId());
      assertThat(parentOf(spans, parentOf(spans, orderRun))).isEqualTo(placed);
      assertThat(find(spans, "send " + PizzaTopics.ORDER_COMPLETED)).isNotNull();

      // messaging conventions
      assertThat(putToKitchen.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(putToKitchen.getAttributes().get(AttributeKey.stringKey("messaging.system"))).isEqualTo("kafka");
      assertThat(putToKitchen.getAttributes().get(AttributeKey.stringKey("messaging.operation.type"))).isEqualTo("send");
      assertThat(putToKitchen.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")))
          .isEqualTo(PizzaTopics.CREATE_BEGIN);
      assertThat(kitchenRecord.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(kitchenRecord.getAttributes().get(AttributeKey.stringKey("messaging.operation.type")))
          .isEqualTo("process");
      assertThat(kitchenRecord.getAttributes().get(AttributeKey.stringKey("messaging.consumer.group.name")))
          .isEqualTo("pizza-kitchen");
      assertThat(kitchenRecord.getAttributes().get(AttributeKey.longKey("messaging.kafka.offset"))).isEqualTo(0L);
      assertThat(kitchenRecord.getAttributes().get(AttributeKey.stringKey("messaging.kafka.message.key")))
          .isEqualTo(kitchenRun.getAttributes().get(AttributeKey.stringKey("sagaflow.saga.transaction_id")));
      assertThat(find(spans, "call")).as("the oven call is an effect span of the kitchen's run")
          .extracting(SpanData::getParentSpanId).isEqualTo(kitchenRun.getSpanId());
    }
  }

  private static SagaRuntime runtime(SagaOptions options, List<AutoCloseable> closing) {
    SagaRuntime runtime = Sagas.runtime(options);
    closing.add(runtime);
    return runtime;
  }

  /** The one finished span of this name (null when none yet); fails when there are several. */
  private static SpanData find(InMemorySpanExporter spans, String name) {
    List<SpanData> named = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).as("spans named %s", name).hasSizeLessThan(2);
    return named.isEmpty() ? null : named.get(0);
  }

  private static SpanData parentOf(InMemorySpanExporter spans, SpanData span) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getSpanId().equals(span.getParentSpanId()))
        .findFirst().orElseThrow(() -> new AssertionError("no parent of " + span));
  }
}
