package io.sagaflow.cli;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.ui.SagaflowUi;
import io.sagaflow.ui.UiOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sagaflow ui}: the web inspector. */
@Command(
    name = "ui",
    mixinStandardHelpOptions = true,
    description = {
      "Serves a web page that shows sagas from their journal topics (*-saga-journal), consumer-group lag",
      "and dead letters (*-dlt), updated live. Read-only unless --allow-replay. Runs until Ctrl-C."
    })
final class UiCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka to inspect (env KAFKA_BOOTSTRAP_SERVERS, default ${DEFAULT-VALUE}).")
  String bootstrapServers;

  @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
      description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file;"
          + " never shown on the page.")
  CommandConfig commandConfig;

  @Option(names = "--port", defaultValue = "8080", description = "Port to listen on (default ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  @Option(names = "--bind", defaultValue = UiOptions.DEFAULT_BIND, paramLabel = "ADDRESS",
      description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only).")
  String bind;

  @Option(names = "--allow-replay", description = "Let the page replay dead letters (off: the page is read-only).")
  boolean allowReplay;

  @Override
  public Integer call() {
    ClusterOptions cluster = CommandConfig.cluster(bootstrapServers, commandConfig, Map.of());
    UiOptions options = UiOptions.of(cluster).withPort(port).withBind(bind).withAllowReplay(allowReplay);
    PrintWriter out = spec.commandLine().getOut();
    try (SagaflowUi ui = SagaflowUi.start(options)) {
      out.printf("Sagaflow inspector: %s  (Kafka %s, %s)%n", ui.url(), cluster.bootstrapServers(),
          allowReplay ? "replay allowed" : "read-only");
      if (!isLoopback(bind)) {
        out.printf("warning: listening on %s: the page has no login, so anyone who can reach this address sees record"
            + " contents%s%n", bind, allowReplay ? " and can replay dead letters" : "");
      }
      out.println("Ctrl-C to stop.");
      out.flush();
      try {
        awaitCtrlC(ui);
      } catch (InterruptedException e) {
        // Asked to stop (by whoever embeds the command): a normal end. The flag stays clear so that
        // closing can wait for the server's threads.
      }
    }
    return 0;
  }

  /** Blocks until the JVM shuts down (Ctrl-C) or the thread is interrupted, then lets the caller close. */
  static void awaitCtrlC(AutoCloseable resource) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      try {
        resource.close();
      } catch (Exception e) {
        // stopping anyway
      }
      stopped.countDown();
    }, "sagaflow-ui-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      stopped.await();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook runs
      }
    }
  }

  private static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
