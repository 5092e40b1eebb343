package io.sagaflow.examples.pizza;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** The kitchen's slow function. Throws when a pizza cannot be made. */
@FunctionalInterface
public interface Oven {
  /** Bakes the pizza of {@code order}, blocking while it bakes. */
  Pizza bake(PizzaOrder order) throws Exception;

  /**
   * A demo oven: bakes for a random time between {@code min} and {@code max}; refuses pineapple,
   * so that the demo shows the failure path.
   */
  static Oven demo(Duration min, Duration max) {
    return order -> {
      if (order.pizza().toLowerCase(java.util.Locale.ROOT).contains("pineapple")) {
        throw new IllegalArgumentException("the oven refuses to bake " + order.pizza());
      }
      long ms = ThreadLocalRandom.current().nextLong(min.toMillis(), max.toMillis() + 1);
      Thread.sleep(ms);
      return new Pizza(order.orderId(), order.pizza(), order.address(), ms);
    };
  }
}
