package io.sagaflow.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
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

  @CommandLine.Mixin KafkaOptions kafka;

  @Option(names = "--watch", description = "Print again every --interval until Ctrl-C, with the change since the last.")
  boolean watch;

  @Option(names = "--interval", defaultValue = "2s", converter = DurationConverter.class,
      description = "Refresh interval with --watch (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Override
  public Integer call() throws InterruptedException {
    ClusterOptions options = kafka.connect(Map.of(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
    PrintWriter out = spec.commandLine().getOut();
    try (KafkaCluster cluster = KafkaCluster.create(options)) {
      Snapshot previous = null;
      do {
        List<GroupLag.PartitionLag> lags;
        try {
          lags = GroupLag.read(cluster, group, Duration.ofSeconds(10));
        } catch (IllegalStateException e) {
          throw new IllegalStateException(e.getMessage() + " (bootstrap servers " + kafka.bootstrapServers + ": "
              + KafkaOptions.HINT + ")", e);
        }
        Snapshot now = Snapshot.of(lags, System.nanoTime());
        if (watch) {
          out.println("-- " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "  " + now.progressSince(previous));
        }
        print(out, lags);
        previous = now;
        if (watch) {
          Thread.sleep(interval.toMillis());
        }
      } while (watch);
    }
    return 0;
  }

  /**
   * The group's totals at one reading, for {@code --watch}'s progress line.
   *
   * @param committed the sum of the committed offsets
   * @param lag the total lag
   * @param nanos when it was read ({@link System#nanoTime()})
   */
  record Snapshot(long committed, long lag, long nanos) {
    static Snapshot of(List<GroupLag.PartitionLag> lags, long nanos) {
      return new Snapshot(lags.stream().mapToLong(GroupLag.PartitionLag::committedOffset).sum(),
          lags.stream().mapToLong(GroupLag.PartitionLag::lag).sum(), nanos);
    }

    /** "lag 120 (-30), consumed 45 (22.5/s)" since {@code before}; the totals alone the first time. */
    String progressSince(Snapshot before) {
      if (before == null) {
        return "lag " + lag;
      }
      long consumed = committed - before.committed;
      double seconds = Math.max(1, nanos - before.nanos) / 1e9;
      return String.format(Locale.ROOT, "lag %d (%+d), consumed %d (%.1f/s)", lag, lag - before.lag, consumed,
          consumed / seconds);
    }
  }

  private void print(PrintWriter out, List<GroupLag.PartitionLag> lags) {
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
