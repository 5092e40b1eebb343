package io.sagaflow.examples.pizza;

/**
 * An order as the customer places it.
 *
 * @param orderId unique order id
 * @param pizza what to bake, e.g. {@code margherita}
 * @param address where to deliver
 */
public record PizzaOrder(String orderId, String pizza, String address) {}
