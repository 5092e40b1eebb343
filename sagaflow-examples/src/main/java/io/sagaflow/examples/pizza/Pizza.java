package io.sagaflow.examples.pizza;

/**
 * A baked pizza on its way.
 *
 * @param orderId the order it belongs to
 * @param pizza what was baked
 * @param address where it goes
 * @param ovenMillis how long it baked
 */
public record Pizza(String orderId, String pizza, String address, long ovenMillis) {}
