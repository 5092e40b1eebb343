package io.sagaflow.examples.pizza;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.sagaflow.testkit.SagaTestResult;
import io.sagaflow.testkit.SagaTester;

/** The pizza sagas without Kafka: effects scripted with SagaTester. */
class PizzaSagasTest {
  private static final PizzaOrder ORDER = new PizzaOrder("o-1", "margherita", "1 Main St");
  private static final Pizza PIZZA = new Pizza("o-1", "margherita", "1 Main St", 120);
  private final OrderSaga orderSaga = new OrderSaga(Duration.ofSeconds(5), Duration.ofSeconds(5));

  @Test
  void orderIsBakedThenDeliveredThenCompleted() {
    SagaTestResult result = SagaTester.of(orderSaga)
        .whenPut(PizzaTopics.CREATE_BEGIN).thenReply(PizzaTopics.CREATE_SUCCESS, PIZZA)
        .whenPut(PizzaTopics.DELIVER_BEGIN).thenReply(PizzaTopics.DELIVER_SUCCESS, PIZZA)
        .run(PizzaTopics.ORDER_PLACED, ORDER);
    result.assertSucceeded().assertPutTopics(
        PizzaTopics.CREATE_BEGIN, PizzaTopics.DELIVER_BEGIN, PizzaTopics.ORDER_COMPLETED);
    assertThat(result.payloadsPutTo(PizzaTopics.ORDER_COMPLETED)).singleElement()
        .isEqualTo(new OrderOutcome("o-1", "DELIVERED", "margherita baked in 120 ms, delivered to 1 Main St"));
  }

  @Test
  void kitchenFailureFailsTheOrderWithTheReason() {
    SagaTestResult result = SagaTester.of(orderSaga)
        .whenPut(PizzaTopics.CREATE_BEGIN).thenReply(PizzaTopics.CREATE_FAILED, "out of dough")
        .run(PizzaTopics.ORDER_PLACED, ORDER);
    result.assertSucceeded().assertPutTopics(PizzaTopics.CREATE_BEGIN, PizzaTopics.ORDER_FAILED);
    assertThat(result.payloadsPutTo(PizzaTopics.ORDER_FAILED)).singleElement()
        .isEqualTo(new OrderOutcome("o-1", "FAILED", "kitchen: out of dough"));
  }

  @Test
  void silentKitchenTimesOutOnVirtualTime() {
    SagaTestResult result = SagaTester.of(orderSaga).run(PizzaTopics.ORDER_PLACED, ORDER);
    result.assertSucceeded().assertPutTopics(PizzaTopics.CREATE_BEGIN, PizzaTopics.ORDER_FAILED);
    assertThat(result.virtualTime()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void kitchenBakesWithTheOvenAndReportsARefusal() {
    SagaTester.of(new KitchenSaga(Oven.demo(Duration.ZERO, Duration.ZERO)))
        .run(PizzaTopics.CREATE_BEGIN, ORDER)
        .assertSucceeded()
        .assertPutTopics(PizzaTopics.CREATE_STARTED, PizzaTopics.CREATE_SUCCESS);
    SagaTestResult refused = SagaTester.of(new KitchenSaga(Oven.demo(Duration.ZERO, Duration.ZERO)))
        .run(PizzaTopics.CREATE_BEGIN, new PizzaOrder("o-2", "pineapple", "2 Side St"));
    refused.assertSucceeded().assertPutTopics(PizzaTopics.CREATE_STARTED, PizzaTopics.CREATE_FAILED);
    assertThat(refused.payloadsPutTo(PizzaTopics.CREATE_FAILED)).singleElement()
        .isEqualTo("the oven refuses to bake pineapple");
  }

  @Test
  void deliveryDrivesThenConfirms() {
    SagaTestResult result = SagaTester.of(new DeliverySaga(Duration.ofMillis(300)))
        .run(PizzaTopics.DELIVER_BEGIN, PIZZA);
    result.assertSucceeded().assertPutTopics(PizzaTopics.DELIVER_SUCCESS);
    assertThat(result.virtualTime()).isEqualTo(Duration.ofMillis(300));
  }
}
