package io.sagaflow.examples.pizza;

import java.time.Duration;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.Branch;
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
    ActionChannel<Pizza> baked = ctx.actionChannel(PizzaTopics.CREATE_SUCCESS, Pizza.class);
    ActionChannel<String> burnt = ctx.actionChannel(PizzaTopics.CREATE_FAILED, String.class);
    ctx.put(PizzaTopics.CREATE_BEGIN, order);

    Branch<Action<Pizza>> pizza = Branch.of("baked", Effects.take(baked));
    Branch<Action<String>> failed = Branch.of("failed", Effects.take(burnt));
    Branch<Void> timeout = Branch.of("timeout", Effects.delay(kitchenTimeout));
    RaceResult fromKitchen = ctx.race(pizza, failed, timeout);
    if (fromKitchen.won(pizza)) {
      deliver(fromKitchen.value(pizza).payload(), ctx);
    } else if (fromKitchen.won(failed)) {
      ctx.put(PizzaTopics.ORDER_FAILED, new OrderOutcome(order.orderId(), "FAILED",
          "kitchen: " + fromKitchen.value(failed).payload()));
    } else {
      ctx.put(PizzaTopics.ORDER_FAILED, new OrderOutcome(order.orderId(), "FAILED",
          "the kitchen did not answer within " + kitchenTimeout.toMillis() + " ms"));
    }
  }

  private void deliver(Pizza pizza, SagaContext ctx) {
    ActionChannel<Pizza> delivered = ctx.actionChannel(PizzaTopics.DELIVER_SUCCESS, Pizza.class);
    ctx.put(PizzaTopics.DELIVER_BEGIN, pizza);
    Branch<Action<Pizza>> driver = Branch.of("delivered", Effects.take(delivered));
    RaceResult fromDriver = ctx.race(driver, Branch.of("timeout", Effects.delay(deliveryTimeout)));
    if (fromDriver.won(driver)) {
      ctx.put(PizzaTopics.ORDER_COMPLETED, new OrderOutcome(pizza.orderId(), "DELIVERED",
          pizza.pizza() + " baked in " + pizza.ovenMillis() + " ms, delivered to " + pizza.address()));
    } else {
      ctx.put(PizzaTopics.ORDER_FAILED, new OrderOutcome(pizza.orderId(), "FAILED",
          "no delivery within " + deliveryTimeout.toMillis() + " ms"));
    }
  }
}
