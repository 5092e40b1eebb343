package io.sagaflow.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of one system's child JVM: runs the system on the pre-produced topic until every record is done
 * or the timeout passed, prints exactly one RESULT line on stdout, and exits. Logs go to stderr.
 */
@Command(name = "bench-child", mixinStandardHelpOptions = true)
public final class ChildMain implements Callable<Integer> {

  @Option(names = "--system", required = true)
  String systemName;

  @Option(names = "--bootstrap-servers", required = true)
  String bootstrapServers;

  @Option(names = "--topic", required = true)
  String topic;

  @Option(names = "--group", required = true)
  String groupId;

  @Option(names = "--scenario", required = true)
  String scenarioName;

  @Option(names = "--timeout-ms", defaultValue = "60000")
  long timeoutMillis;

  @Option(names = "--heap-measure", defaultValue = "used")
  String heapMeasure;

  private ChildMain() {}

  public static void main(String[] args) {
    int code = new CommandLine(new ChildMain()).execute(args);
    // Some peers leave non-daemon threads behind after close; the RESULT is out, so end the JVM.
    Runtime.getRuntime().halt(code);
  }

  @Override
  public Integer call() throws Exception {
    PeerSystem peer = PeerSystem.named(systemName);
    HeapSampler.Measure measure = HeapSampler.Measure.parse(heapMeasure);
    Scenario scenario = Scenario.named(scenarioName);
    long[][] range = offsetRange(scenario.partitions());
    BenchSystem system = instantiate(peer);
    Tracker tracker = new Tracker(topic, range[0], range[1], system.observesCommits());
    Scenario scaled = scenario.withRecords(Math.max(1, tracker.expected()));
    BenchContext context = new BenchContext(bootstrapServers, topic, groupId, scaled, tracker);
    CommitInterceptor.observeFor(context);

    ResultLine result;
    try (HeapSampler heap = new HeapSampler(measure)) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      system.start(context);
      tracker.awaitAllDone(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      long now = System.nanoTime();
      result = new ResultLine(
          peer.name(), scenario.name(), tracker.done(), tracker.seconds(now), tracker.p99Millis(), heap.peakMb());
    }
    PrintStream out = System.out;
    out.println(result.format());
    out.flush();
    if (result.records() < tracker.expected()) {
      // One write: printf writes piece by piece, and the orchestrator's copy of our stdout (the
      // RESULT line) could land between the pieces in a merged log.
      System.err.print(String.format(
          "bench: %s finished %d of %d records in the time limit (%d handler completions)%n",
          peer.name(), result.records(), tracker.expected(), tracker.completedCount()));
    }
    closeWithin(system, 30_000);
    return 0;
  }

  private long[][] offsetRange(int expectedPartitions) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      int partitions = description.partitions().size();
      if (partitions != expectedPartitions) {
        throw new IllegalStateException("topic " + topic + " has " + partitions + " partitions, the scenario "
            + scenarioName + " expects " + expectedPartitions + "; let the orchestrator create the topic");
      }
      List<TopicPartition> tps = description.partitions().stream()
          .map(info -> new TopicPartition(topic, info.partition()))
          .toList();
      Map<TopicPartition, ListOffsetsResultInfo> earliest = admin.listOffsets(
          tps.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.earliest()))).all().get();
      Map<TopicPartition, ListOffsetsResultInfo> latest = admin.listOffsets(
          tps.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()))).all().get();
      long[] start = new long[partitions];
      long[] end = new long[partitions];
      for (TopicPartition tp : tps) {
        start[tp.partition()] = earliest.get(tp).offset();
        end[tp.partition()] = latest.get(tp).offset();
      }
      return new long[][] {start, end};
    }
  }

  private static BenchSystem instantiate(PeerSystem peer) throws ReflectiveOperationException {
    Class<?> type = Class.forName(peer.className());
    return (BenchSystem) type.getDeclaredConstructor().newInstance();
  }

  private static void closeWithin(BenchSystem system, long millis) throws InterruptedException {
    Thread closer = Thread.ofPlatform().daemon().name("bench-close").start(() -> {
      try {
        system.stop();
      } catch (Exception e) {
        System.err.println("bench: closing the system failed: " + e);
      }
    });
    closer.join(millis);
    if (closer.isAlive()) {
      System.err.println("bench: the system did not close within " + millis + " ms; exiting anyway");
    }
  }
}
