package io.sagaflow.examples.pizza;

import java.time.Duration;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaContext;

/** Runs per pizza to deliver: drives (a delay), then puts that it was delivered. */
public final class DeliverySaga implements Saga<Pizza> {
  private final Duration drive;

  public DeliverySaga(Duration drive) {
    this.drive = drive;
  }

  @Override
  public void run(Action<Pizza> action, SagaContext ctx) {
    ctx.delay(drive);
    ctx.put(PizzaTopics.DELIVER_SUCCESS, action.payload());
  }
}
