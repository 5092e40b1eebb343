package io.sagaflow.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.AdminClientConfig;

import io.sagaflow.admin.GroupLag;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sagaflow lag}: a consumer group's lag per partition. */
@Command(
    name = "lag",
    mixinStandardHelpOptions = true,
    description = "Prints a consumer group's committed offset, log end offset and lag per partition.")
final class LagCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--group", required = true, description = "The consumer group.")
  String group;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka to ask (env KAFKA_BOOTSTRAP_SERVERS, default ${DEFAULT-VALUE}).")
  String bootstrapServers;

  @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
      description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file.")
  CommandConfig commandConfig;

  @Option(names = "--watch", description = "Print again every --interval until Ctrl-C.")
  boolean watch;

  @Option(names = "--interval", defaultValue = "2s", converter = DurationConverter.class,
      description = "Refresh interval with --watch (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Override
  public Integer call() throws InterruptedException {
    ClusterOptions options = CommandConfig.cluster(bootstrapServers, commandConfig, Map.of(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
    PrintWriter out = spec.commandLine().getOut();
    try (KafkaCluster cluster = KafkaCluster.create(options)) {
      do {
        List<GroupLag.PartitionLag> lags;
        try {
          lags = GroupLag.read(cluster, group, Duration.ofSeconds(10));
        } catch (IllegalStateException e) {
          throw new IllegalStateException(e.getMessage()
              + " (bootstrap servers " + bootstrapServers + ": set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS,"
              + " and --command-config for a secured cluster)", e);
        }
        print(out, lags);
        if (watch) {
          Thread.sleep(interval.toMillis());
        }
      } while (watch);
    }
    return 0;
  }

  private void print(PrintWriter out, List<GroupLag.PartitionLag> lags) {
    if (watch) {
      out.println("-- " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS));
    }
    if (lags.isEmpty()) {
      out.println("group " + group + " has no committed offsets");
      out.flush();
      return;
    }
    out.printf("%-30s %9s %12s %12s %10s%n", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG");
    long total = 0;
    for (GroupLag.PartitionLag l : lags) {
      out.printf("%-30s %9d %12d %12d %10d%n", l.partition().topic(), l.partition().partition(),
          l.committedOffset(), l.endOffset(), l.lag());
      total += l.lag();
    }
    out.printf("%-30s %9s %12s %12s %10d%n", "total", "", "", "", total);
    out.flush();
  }
}
