package io.sagaflow.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sagaflow demo pizza}: three sagas talking over Kafka. */
@Command(
    name = "pizza",
    mixinStandardHelpOptions = true,
    description = {
      "Three sagas, deployed as if separately, talk over Kafka topics: an order saga asks a kitchen",
      "saga for a pizza (racing the answer against a timeout), then a delivery saga, and reports how",
      "each order ended. The oven refuses pineapple, to show the failure path.",
      "",
      "One process runs all three on an embedded broker; or run one --role per process against",
      "the same --bootstrap-servers (the order role places the orders)."
    })
final class PizzaDemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin PizzaOptions options;

  @Override
  public Integer call() throws InterruptedException {
    return options.run(spec.commandLine());
  }
}
