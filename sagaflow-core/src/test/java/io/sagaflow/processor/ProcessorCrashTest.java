package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.internal.OffsetMetadataCodec;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Child-JVM processors killed with SIGKILL (and one run without Micrometer on the classpath). */
@ExtendWith(LeakCheck.class)
class ProcessorCrashTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static Process launch(String classpath, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(ChildProcessorMain.class.getName());
    cmd.addAll(Arrays.asList(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static List<String> lines(Path file) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    String s = Files.readString(file, StandardCharsets.UTF_8);
    int end = s.lastIndexOf('\n'); // ignore a line cut by the kill
    return end < 0 ? List.of() : Arrays.asList(s.substring(0, end).split("\n"));
  }

  @Test
  void sigkillThenRestartProcessesEverythingWithDuplicatesBoundedByInFlight(@TempDir Path dir) throws Exception {
    String topic = unique("crash");
    kafka.createTopic(topic, 4);
    int perPartition = 100;
    for (int p = 0; p < 4; p++) {
      List<String[]> kvs = new ArrayList<>();
      for (int i = 0; i < perPartition; i++) {
        kvs.add(new String[] {"k" + (i % 25), "v" + i});
      }
      KafkaTestSupport.produce(kafka, topic, p, kvs);
    }
    String group = unique("g");
    Path out = dir.resolve("processed.txt");
    String cp = System.getProperty("java.class.path");
    // One record writes its line and then hangs: whatever the timing of the kill against the last
    // commit, at least that record ran and was not committed, so the restart must run it again.
    String hung = "1@10";
    // A static member (the same instance id after the restart) gets its partitions back without
    // waiting out the killed member's session timeout.
    String instance = unique("instance");
    Process first = launch(cp, dir.resolve("first.log"), kafka.bootstrapServers(), topic, group, out.toString(), "20", "0",
        hung, instance);
    try {
      await("child processed some records", () -> {
        try {
          List<String> done = lines(out);
          return done.size() >= 120 && done.contains(hung);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
    } finally {
      first.destroyForcibly(); // SIGKILL: no shutdown hook, no final commit
      first.waitFor(30, TimeUnit.SECONDS);
    }
    List<String> beforeKill = lines(out);
    assertThat(beforeKill.size()).isLessThan(4 * perPartition);
    // What the restarted processor starts from: the offsets, and the finished ranges above them,
    // that the killed one committed. Only records it processed outside those may run again.
    Map<TopicPartition, OffsetAndMetadata> atKill = KafkaTestSupport.committed(kafka, group);
    Set<String> redoable = new HashSet<>();
    for (String line : beforeKill) {
      int at = line.indexOf('@');
      TopicPartition tp = new TopicPartition(topic, Integer.parseInt(line.substring(0, at)));
      if (!committedAsFinished(atKill.get(tp), Long.parseLong(line.substring(at + 1)))) {
        redoable.add(line);
      }
    }

    Process second = launch(cp, dir.resolve("second.log"), kafka.bootstrapServers(), topic, group, out.toString(), "0", "0",
        "-", instance);
    try {
      await("every record processed", () -> {
        try {
          return new HashSet<>(lines(out)).size() == 4 * perPartition;
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      await("all committed", () -> {
        var committed = KafkaTestSupport.committed(kafka, group);
        return committed.size() == 4 && committed.values().stream().allMatch(om -> om.offset() == perPartition);
      });
    } finally {
      second.destroy(); // SIGTERM: the shutdown hook closes the processor
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    List<String> all = lines(out);
    Map<String, Long> counts = all.stream().collect(Collectors.groupingBy(s -> s, HashMap::new, Collectors.counting()));
    assertThat(counts).hasSize(4 * perPartition);
    assertThat(counts.values()).as("runs per record").allMatch(n -> n <= 2);
    Set<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
        .collect(Collectors.toSet());
    // Redone after the kill: only records the killed processor had not committed as finished
    // (in flight, or finished after its last commit). The bound is what it committed, not timing.
    assertThat(redoable).as("records not committed as finished at the kill").contains(hung);
    assertThat(counts.get(hung)).as("runs of the record in flight at the kill").isEqualTo(2);
    assertThat(duplicated).as("records processed twice").isSubsetOf(redoable);
  }

  /** Whether {@code offset} is below the committed offset or in a finished range of its metadata. */
  private static boolean committedAsFinished(OffsetAndMetadata committed, long offset) {
    if (committed == null) {
      return false;
    }
    if (offset < committed.offset()) {
      return true;
    }
    if (OffsetMetadataCodec.decode(committed.metadata()) instanceof OffsetMetadataCodec.Ours ours) {
      long[] ranges = ours.finishedRanges(); // [from, to) pairs
      for (int i = 0; i + 1 < ranges.length; i += 2) {
        if (offset >= ranges[i] && offset < ranges[i + 1]) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void runsWithoutMicrometerOnTheClasspath(@TempDir Path dir) throws Exception {
    String topic = unique("nomicrometer");
    kafka.createTopic(topic, 1);
    List<String[]> kvs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      kvs.add(new String[] {"k" + i, "v" + i});
    }
    KafkaTestSupport.produce(kafka, topic, 0, kvs);
    String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.contains("micrometer"))
        .collect(Collectors.joining(File.pathSeparator));
    Path log = dir.resolve("child.log");
    Process child = launch(cp, log, kafka.bootstrapServers(), topic, unique("g"), dir.resolve("out.txt").toString(), "0", "10");
    assertThat(child.waitFor(90, TimeUnit.SECONDS)).isTrue();
    String output = Files.readString(log);
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("MICROMETER=false").contains("PROCESSED=10 STATE=CLOSED");
    Set<String> processed = new HashSet<>(lines(dir.resolve("out.txt")));
    assertThat(processed).hasSize(10);
  }
}
