package io.sagaflow.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sagaflow demo}: runnable demos; without a subcommand, the purchases demo. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a demo on an embedded Kafka broker (or on yours with --bootstrap-servers).",
      "Without a subcommand it runs the pizza saga demo; its options are accepted here too."
    },
    subcommands = {PizzaDemoCommand.class, PurchasesDemoCommand.class})
final class DemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin PizzaOptions pizza;

  @Override
  public Integer call() throws InterruptedException {
    return pizza.run(spec.commandLine());
  }
}
