package io.sagaflow.cli;

import io.sagaflow.kafka.ClusterOptions;
import java.util.Map;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import io.sagaflow.examples.pizza.PizzaDemo;
import picocli.CommandLine.Option;

/** The pizza demo's options, shared by {@code demo} and {@code demo pizza}. */
final class PizzaOptions {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
      description = "Kafka to use instead of an embedded broker (env KAFKA_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
      description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file;"
          + " needs --bootstrap-servers.")
  CommandConfig commandConfig;

  @Option(names = "--role", defaultValue = "all", paramLabel = "all|order|kitchen|delivery",
      description = "Which sagas run in this process (default ${DEFAULT-VALUE}); one role per process needs --bootstrap-servers.")
  String role;

  @Option(names = "--orders", defaultValue = "10", description = "Orders to place (default ${DEFAULT-VALUE}).")
  int orders;

  @Option(names = "--interval", defaultValue = "150ms", converter = DurationConverter.class,
      description = "Time between orders (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
      description = "How long the order saga waits for the kitchen and the driver (default ${DEFAULT-VALUE}).")
  Duration timeout;

  int run(CommandLine commandLine) throws InterruptedException {
    PrintWriter writer = commandLine.getOut();
    PizzaDemo.Role r;
    try {
      r = PizzaDemo.Role.valueOf(role.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--role " + role + " is not one of all, order, kitchen, delivery");
    }
    PizzaDemo.Config d = PizzaDemo.Config.defaults();
    ClusterOptions cluster = null;
    if (bootstrapServers != null && !bootstrapServers.isBlank()) {
      cluster = CommandConfig.cluster(bootstrapServers, commandConfig, Map.of());
    } else if (commandConfig != null) {
      throw needsBootstrap(commandLine);
    }
    PizzaDemo.Config c = new PizzaDemo.Config(cluster, r, orders, interval, d.oven(), d.drive(), timeout);
    PrintStream out = new PrintStream(new WriterOutputStream(writer), true, StandardCharsets.UTF_8);
    PizzaDemo.Summary summary = PizzaDemo.run(c, out);
    out.flush();
    return summary.ok() ? 0 : 1;
  }

  private static CommandLine.ParameterException needsBootstrap(CommandLine commandLine) {
    return new CommandLine.ParameterException(commandLine, "--command-config needs --bootstrap-servers (or"
        + " KAFKA_BOOTSTRAP_SERVERS): the embedded broker takes plaintext clients only");
  }
}
