package io.sagaflow.examples.pizza;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaContext;

/**
 * Runs per placed order: asks the kitchen for a pizza and races its answer against a timeout,
 * then asks for delivery the same way, and puts how the order ended.
 *
 * <p>The channels are opened before the puts, so a reply that comes back quickly is never
 * missed; every put and take carries the order's transaction id, so replies of other orders never
 * reach this one.
 */
public final class OrderSaga implements Saga<PizzaOrder> {
  private final Duration kitchenTimeout;
  private final Duration deliveryTimeout;

  public OrderSaga(Duration kitchenTimeout, Duration deliveryTimeout) {
    this.kitchenTimeout = kitchenTimeout;
    this.deliveryTimeout = deliveryTimeout;
  }

  @Override
  public void run(Action<PizzaOrder> action, SagaContext ctx) {
    PizzaOrder order = action.payload();
    ActionChannel<Pizza> baked = ctx.actionChannel(ActionPattern.of(PizzaTopics.CREATE_SUCCESS, Pizza.class));
    ActionChannel<String> burnt = ctx.actionChannel(ActionPattern.of(PizzaTopics.CREATE_FAILED, String.class));
    ctx.put(PizzaTopics.CREATE_BEGIN, order);

    Map<String, Effect<?>> kitchen = new LinkedHashMap<>();
    kitchen.put("baked", Effects.take(baked));
    kitchen.put("failed", Effects.take(burnt));
    kitchen.put("timeout", Effects.delay(kitchenTimeout));
    RaceResult fromKitchen = ctx.race(kitchen);
    switch (fromKitchen.key()) {
      case "baked" -> {
        @SuppressWarnings("unchecked")
        Pizza pizza = ((Action<Pizza>) fromKitchen.value()).payload();
        deliver(pizza, ctx);
      }
      case "failed" -> {
        @SuppressWarnings("unchecked")
        String reason = ((Action<String>) fromKitchen.value()).payload();
        ctx.put(PizzaTopics.ORDER_FAILED, new OrderOutcome(order.orderId(), "FAILED", "kitchen: " + reason));
      }
      default -> ctx.put(PizzaTopics.ORDER_FAILED, new OrderOutcome(order.orderId(), "FAILED",
          "the kitchen did not answer within " + kitchenTimeout.toMillis() + " ms"));
    }
  }

  private void deliver(Pizza pizza, SagaContext ctx) {
    ActionChannel<Pizza> delivered = ctx.actionChannel(ActionPattern.of(PizzaTopics.DELIVER_SUCCESS, Pizza.class));
    ctx.put(PizzaTopics.DELIVER_BEGIN, pizza);
    RaceResult fromDriver = ctx.race(Map.of(
        "delivered", Effects.take(delivered),
        "timeout", Effects.delay(deliveryTimeout)));
    if ("delivered".equals(fromDriver.key())) {
      ctx.put(PizzaTopics.ORDER_COMPLETED, new OrderOutcome(pizza.orderId(), "DELIVERED",
          pizza.pizza() + " baked in " + pizza.ovenMillis() + " ms, delivered to " + pizza.address()));
    } else {
      ctx.put(PizzaTopics.ORDER_FAILED, new OrderOutcome(pizza.orderId(), "FAILED",
          "no delivery within " + deliveryTimeout.toMillis() + " ms"));
    }
  }
}
