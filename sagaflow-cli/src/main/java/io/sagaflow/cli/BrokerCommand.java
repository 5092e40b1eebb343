package io.sagaflow.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sagaflow broker}: a real Kafka broker (KRaft) in the foreground until Ctrl-C. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a real Apache Kafka broker (KRaft mode) on 127.0.0.1 in the foreground.",
      "Any Kafka client can use it, e.g. kcat -b 127.0.0.1:9092 -t test -P. Ctrl-C or SIGTERM stops it."
    })
final class BrokerCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--port", defaultValue = "9092",
      description = "Port of the first broker; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--brokers", defaultValue = "1",
      description = "1, or 3 brokers plus a controller (ports PORT, PORT+1, PORT+2) (default ${DEFAULT-VALUE}).")
  int brokers;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Keep the data here (kept on exit); default: a temporary directory deleted on exit.")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "6",
      description = "Partitions of auto-created topics (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--no-auto-create", negatable = false,
      description = "Do not create topics when clients first use them.")
  boolean noAutoCreate;

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedKafkaOptions options = EmbeddedKafkaOptions.defaults()
        .withPort(port)
        .withBrokers(brokers)
        .withDefaultPartitions(partitions)
        .withAutoCreateTopics(!noAutoCreate);
    if (dataDir != null) {
      options = options.withDataDir(dataDir);
    }
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start(options);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      out.println("Stopping Kafka...");
      out.flush();
      kafka.close();
      out.println("Kafka stopped.");
      out.flush();
      stopped.countDown();
    }, "sagaflow-broker-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.printf(Locale.ROOT, "Kafka is running (KRaft, %d broker%s), ready in %.1f s%n",
        brokers, brokers == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9);
    out.println("bootstrap.servers=" + kafka.bootstrapServers());
    out.println("data: " + kafka.dataDir() + (dataDir == null ? " (deleted on exit)" : " (kept)"));
    out.println("Press Ctrl-C to stop.");
    out.flush();
    stopped.await();
    return 0;
  }
}
