package io.sagaflow.cli;

import io.sagaflow.kafka.ClusterOptions;
import java.util.Map;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;

import io.sagaflow.examples.purchases.PurchaseDemo;
import io.sagaflow.examples.purchases.PurchaseDemoConfig;
import picocli.CommandLine.Option;

/** The purchases demo's options, shared by {@code demo} and {@code demo purchases}. */
final class PurchasesOptions {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "Kafka to use instead of an embedded broker (env KAFKA_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
      description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file;"
          + " needs --bootstrap-servers.")
  CommandConfig commandConfig;

  @Option(names = "--partitions", description = "Partitions of the purchases topic (env KAFKA_PARTITIONS, default 6).")
  Integer partitions;

  @Option(names = "--consumers", description = "Consumers in the group (env KAFKA_CONSUMER_COUNT, default 3).")
  Integer consumers;

  @Option(names = "--group-id", description = "Consumer group (env KAFKA_GROUP_ID, default purchase-consumers).")
  String groupId;

  @Option(names = "--count", description = "Purchases to produce (default 1000; unlimited with --duration).")
  Long count;

  @Option(names = "--rate", description = "Purchases per second, 0 for as fast as possible (default 200).")
  Integer rate;

  @Option(names = "--duration", converter = DurationConverter.class,
      description = "Produce for this long, e.g. 30s or 2m (ends earlier if --count is reached).")
  Duration duration;

  int run(CommandLine commandLine) {
    PrintWriter writer = commandLine.getOut();
    PurchaseDemoConfig c = PurchaseDemoConfig.fromEnvironment(System.getenv());
    if (bootstrapServers != null) {
      c = c.withBootstrapServers(bootstrapServers);
    }
    if (commandConfig != null) {
      if (c.cluster() == null) {
        throw needsBootstrap(commandLine);
      }
      c = c.withCluster(c.cluster().withClientProperties(commandConfig.properties()));
    }
    if (partitions != null) {
      c = c.withPartitions(partitions);
    }
    if (consumers != null) {
      c = c.withConsumers(consumers);
    }
    if (groupId != null) {
      c = c.withGroupId(groupId);
    }
    if (rate != null) {
      c = c.withRate(rate);
    }
    if (duration != null) {
      c = c.withDuration(duration).withCount(count == null ? Long.MAX_VALUE : count);
    } else if (count != null) {
      c = c.withCount(count);
    }
    PrintStream out = new PrintStream(new WriterOutputStream(writer), true,
        java.nio.charset.StandardCharsets.UTF_8);
    PurchaseDemo.Summary summary = PurchaseDemo.run(c, out);
    out.flush();
    return summary.ok() ? 0 : 1;
  }

  private static CommandLine.ParameterException needsBootstrap(CommandLine commandLine) {
    return new CommandLine.ParameterException(commandLine, "--command-config needs --bootstrap-servers (or"
        + " KAFKA_BOOTSTRAP_SERVERS): the embedded broker takes plaintext clients only");
  }
}
