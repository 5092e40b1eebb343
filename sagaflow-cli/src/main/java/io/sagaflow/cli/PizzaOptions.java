package io.sagaflow.cli;

import io.sagaflow.kafka.ClusterOptions;
import java.util.Map;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.examples.pizza.PizzaDemo;
import io.sagaflow.ui.SagaflowUi;
import io.sagaflow.ui.UiOptions;
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

  @Option(names = "--orders", defaultValue = "10", description = "Orders to place (default ${DEFAULT-VALUE}). With"
      + " --durable, 0 places none and waits for the orders placed before (by a process that was killed) to end.")
  int orders;

  @Option(names = "--interval", defaultValue = "150ms", converter = DurationConverter.class,
      description = "Time between orders (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
      description = "How long the order saga waits for the kitchen and the driver (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--durable", description = "Durable saga consumers: each saga is journaled in Kafka"
      + " (*-saga-journal), so a process killed with kill -9 resumes its sagas when it starts again, without"
      + " repeating a put.")
  boolean durable;

  @Option(names = "--ui", description = "Serve the web inspector (as `sagaflow ui`) while the demo runs, and keep the"
      + " broker and the page up after the orders end, until Ctrl-C.")
  boolean ui;

  @Option(names = "--ui-port", defaultValue = "8080", description = "Port of the page with --ui (default ${DEFAULT-VALUE}).")
  int uiPort;

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
    PrintStream out = new PrintStream(new WriterOutputStream(writer), true, StandardCharsets.UTF_8);
    if (ui) {
      return runWithPage(r, d, cluster, out);
    }
    PizzaDemo.Config c = new PizzaDemo.Config(cluster, r, orders, interval, d.oven(), d.drive(), timeout, durable);
    PizzaDemo.Summary summary = PizzaDemo.run(c, out);
    out.flush();
    return summary.ok() ? 0 : 1;
  }

  /**
   * The demo with the inspector: the broker (embedded unless given) is started here rather than by
   * the demo, so that it and the page outlive the orders; both stop at Ctrl-C. The sagas are
   * durable, so that the page's Sagas view has journals to show.
   */
  private int runWithPage(PizzaDemo.Role r, PizzaDemo.Config d, ClusterOptions given, PrintStream out)
      throws InterruptedException {
    // Durable whatever --durable says: the page's Sagas view shows sagas from their journals.
    new PizzaDemo.Config(given, r, orders, interval, d.oven(), d.drive(), timeout, true); // checks the options
    EmbeddedKafka embedded = null;
    SagaflowUi page = null;
    try {
      ClusterOptions cluster = given;
      if (cluster == null) {
        embedded = EmbeddedKafka.start();
        cluster = ClusterOptions.of("embedded", embedded.bootstrapServers());
      }
      page = SagaflowUi.start(UiOptions.of(cluster).withPort(uiPort));
      out.printf("Web inspector: %s (read-only)%n", page.url());
      PizzaDemo.Summary summary = PizzaDemo.run(
          new PizzaDemo.Config(cluster, r, orders, interval, d.oven(), d.drive(), timeout, true), out);
      out.println();
      out.printf("The orders %s. The broker (%s) and the page (%s) stay up: Ctrl-C to stop.%n",
          summary.ok() ? "ended" : "ended with problems", cluster.bootstrapServers(), page.url());
      out.flush();
      EmbeddedKafka broker = embedded;
      SagaflowUi shown = page;
      UiCommand.awaitCtrlC(() -> {
        shown.close();
        if (broker != null) {
          broker.close();
        }
      });
      return summary.ok() ? 0 : 1;
    } finally {
      if (page != null) {
        page.close();
      }
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private static CommandLine.ParameterException needsBootstrap(CommandLine commandLine) {
    return new CommandLine.ParameterException(commandLine, "--command-config needs --bootstrap-servers (or"
        + " KAFKA_BOOTSTRAP_SERVERS): the embedded broker takes plaintext clients only");
  }
}
