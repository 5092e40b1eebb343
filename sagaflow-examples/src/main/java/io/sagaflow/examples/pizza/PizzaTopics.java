package io.sagaflow.examples.pizza;

import java.util.List;

/** The topics (action types) the three pizza sagas talk over, as in the kafka-sagas example. */
public final class PizzaTopics {
  /** A customer placed an order: starts the order saga. */
  public static final String ORDER_PLACED = "PIZZA_ORDER_PLACED";
  /** The order saga asks the kitchen for a pizza: starts the kitchen saga. */
  public static final String CREATE_BEGIN = "CREATE_PIZZA_BEGIN";
  public static final String CREATE_STARTED = "CREATE_PIZZA_STARTED";
  public static final String CREATE_SUCCESS = "CREATE_PIZZA_SUCCESS";
  public static final String CREATE_FAILED = "CREATE_PIZZA_FAILED";
  /** The order saga asks for delivery: starts the delivery saga. */
  public static final String DELIVER_BEGIN = "DELIVER_PIZZA_BEGIN";
  public static final String DELIVER_SUCCESS = "DELIVER_PIZZA_SUCCESS";
  public static final String ORDER_COMPLETED = "PIZZA_ORDER_COMPLETED";
  public static final String ORDER_FAILED = "PIZZA_ORDER_FAILED";

  /** Every topic, for creating them up front. */
  public static final List<String> ALL = List.of(ORDER_PLACED, CREATE_BEGIN, CREATE_STARTED, CREATE_SUCCESS,
      CREATE_FAILED, DELIVER_BEGIN, DELIVER_SUCCESS, ORDER_COMPLETED, ORDER_FAILED);

  private PizzaTopics() {}
}
