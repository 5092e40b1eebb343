package io.sagaflow.examples.pizza;

/**
 * How an order ended, put by the order saga on {@link PizzaTopics#ORDER_COMPLETED} or
 * {@link PizzaTopics#ORDER_FAILED}.
 *
 * @param orderId the order
 * @param status {@code DELIVERED} or {@code FAILED}
 * @param detail what happened, for people
 */
public record OrderOutcome(String orderId, String status, String detail) {}
