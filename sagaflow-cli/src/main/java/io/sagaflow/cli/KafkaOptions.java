package io.sagaflow.cli;

import java.time.Duration;
import java.util.Map;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import picocli.CommandLine.Option;

/**
 * The options of every command that talks to an existing cluster ({@code lag}, {@code dlq ...}):
 * where it is, how to log in, and how long to wait for it. {@link #connect} checks the cluster
 * before the command does anything, so that an unreachable or refusing cluster ends the command
 * within {@code --connect-timeout} with one line that names the servers and the fix, never a bare
 * client exception after the clients' own, longer timeouts.
 */
final class KafkaOptions {
  /** The fix to add to any connection error of a command built on these options. */
  static final String HINT = "set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS, and --command-config for a"
      + " secured cluster";

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka to ask (env KAFKA_BOOTSTRAP_SERVERS, default ${DEFAULT-VALUE}).")
  String bootstrapServers;

  @Option(names = "--command-config", paramLabel = "FILE", converter = CommandConfig.Converter.class,
      description = "Kafka client settings (security.protocol, sasl.*, ssl.*, ...) as a Java properties file.")
  CommandConfig commandConfig;

  @Option(names = "--connect-timeout", defaultValue = "10s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "How long to wait for Kafka to answer at start (default ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  /** The cluster, with {@code defaults} under the {@code --command-config} settings. */
  ClusterOptions cluster(Map<String, String> defaults) {
    return CommandConfig.cluster(bootstrapServers, commandConfig, defaults);
  }

  /**
   * Checks that the cluster answers within {@code --connect-timeout} and accepts the credentials.
   *
   * @throws IllegalStateException naming the servers, the cause and {@link #HINT}
   */
  ClusterOptions connect(Map<String, String> defaults) {
    ClusterOptions options = cluster(defaults);
    KafkaCluster cluster = KafkaCluster.create(options);
    try {
      cluster.verifyReachable(connectTimeout);
    } catch (IllegalStateException e) {
      // Not close(): the admin client would wait for its abandoned request to time out (seconds).
      cluster.close(Duration.ZERO);
      throw withHint(e);
    }
    cluster.close();
    return options;
  }

  /** {@code e} with {@link #HINT} appended to its message. */
  static IllegalStateException withHint(RuntimeException e) {
    return new IllegalStateException(e.getMessage() + " (" + HINT + ")", e);
  }
}
