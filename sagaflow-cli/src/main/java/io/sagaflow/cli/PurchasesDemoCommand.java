package io.sagaflow.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sagaflow demo purchases}: the producer and consumer-group demo. */
@Command(
    name = "purchases",
    mixinStandardHelpOptions = true,
    description = {
      "Produces purchase events keyed by user and consumes them with a consumer group, then",
      "proves that every purchase was consumed exactly once by the group and in order per user.",
      "",
      "Environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_PARTITIONS, KAFKA_CONSUMER_COUNT, KAFKA_GROUP_ID.",
      "Flags override them. Without a bootstrap address an embedded broker is started."
    })
final class PurchasesDemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin PurchasesOptions options;

  @Override
  public Integer call() {
    return options.run(spec.commandLine());
  }
}
