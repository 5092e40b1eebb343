package io.sagaflow.examples.pizza;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaContext;

/** Runs per pizza asked for: says it started, bakes (a slow call), then puts success or failure. */
public final class KitchenSaga implements Saga<PizzaOrder> {
  private final Oven oven;

  public KitchenSaga(Oven oven) {
    this.oven = oven;
  }

  @Override
  public void run(Action<PizzaOrder> action, SagaContext ctx) {
    PizzaOrder order = action.payload();
    ctx.put(PizzaTopics.CREATE_STARTED, order);
    Pizza pizza;
    try {
      pizza = ctx.call("oven", oven::bake, order); // throws what bake throws, unwrapped
    } catch (SagaCancelledException e) {
      throw e;
    } catch (Exception e) {
      ctx.put(PizzaTopics.CREATE_FAILED, rootMessage(e));
      return;
    }
    ctx.put(PizzaTopics.CREATE_SUCCESS, pizza);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
