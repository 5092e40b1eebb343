package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.testkit.ChildJvm;
import io.sagaflow.testkit.DeliveryCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exactly-once copy: each system copies the same keyed 100-byte records from a 6-partition topic to
 * its own output topic, in its own JVM; a {@code read_committed} reader times it (from the system
 * being ready to the last record visible <em>and</em> the system's consumer group having committed
 * the input's end offsets) and then counts duplicates and losses.
 *
 * <p>Systems: {@code sagaflow-eos} (the Processor in exactly-once mode), {@code sagaflow-alos} (the
 * Processor at least once, idempotent producer, a record finished once its send is acknowledged)
 * and {@code kafka-streams-eos} (Kafka Streams, {@code exactly_once_v2}, one stream thread). All
 * use the same commit interval.
 */
@Command(name = "eos", mixinStandardHelpOptions = true,
    description = {"Exactly-once consume-transform-produce copy, side by side.",
        "Exit code 1 only when sagaflow-eos or sagaflow-alos did not finish, lost a record or (exactly-once) "
            + "duplicated one; a peer (kafka-streams-eos) that does is named at the end but leaves the exit code 0."})
final class EosBenchCommand implements Callable<Integer> {
  private static final String INPUT = "bench-eos-in";
  /** {@code -Dsagaflow.bench.progress=true}: the reader prints the visible count every second (stderr). */
  private static final boolean PROGRESS = Boolean.getBoolean("sagaflow.bench.progress");

  @Option(names = "--systems", split = ",", defaultValue = "sagaflow-eos,sagaflow-alos,kafka-streams-eos",
      description = "Systems to run (default ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--records", defaultValue = "500000", description = "Records to copy (default ${DEFAULT-VALUE})")
  int records;

  @Option(names = "--commit-interval-ms", defaultValue = "100", description = "Transaction commit interval (default ${DEFAULT-VALUE})")
  long commitIntervalMs;

  @Option(names = "--max-in-flight", defaultValue = "5000",
      description = "Sagaflow systems: maxInFlight, also per partition (default ${DEFAULT-VALUE})")
  int maxInFlight;

  @Option(names = "--max-records-per-transaction", defaultValue = "1000000",
      description = "sagaflow-eos: ExactlyOnce.maxRecordsPerTransaction; the default leaves the commit interval "
          + "alone to end transactions, as in Kafka Streams (default ${DEFAULT-VALUE})")
  int maxRecordsPerTransaction;

  @Option(names = "--linger-ms", defaultValue = "100",
      description = "Sagaflow systems: producer linger.ms, Kafka Streams' own default (default ${DEFAULT-VALUE})")
  int lingerMs;

  @Option(names = "--warmup-records", defaultValue = "100000",
      description = "Before measuring, each system copies this many records once, unmeasured (0: none; default ${DEFAULT-VALUE})")
  int warmupRecords;

  @Option(names = "--rounds", defaultValue = "1",
      description = "Run every system this many times, rotating the order; ratios use median rates (default ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--timeout", defaultValue = "120", description = "Seconds each system may take (default ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Override
  public Integer call() throws Exception {
    if (bootstrapServers != null) {
      return run(bootstrapServers, null);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      return run(kafka.bootstrapServers(), kafka);
    }
  }

  private int run(String bootstrap, EmbeddedKafka kafka) throws Exception {
    System.out.printf(Locale.ROOT, "# commit interval %d ms; sagaflow: maxInFlight=%d (also per partition), "
        + "linger.ms=%d, eos maxRecordsPerTransaction=%d%n", commitIntervalMs, maxInFlight, lingerMs,
        maxRecordsPerTransaction);
    if (warmupRecords > 0) {
      // Unmeasured: warms the broker's transaction, fetch and group code (and the page cache) so
      // that the first measured system does not pay for it.
      String warmInput = INPUT + "-warmup-" + System.currentTimeMillis();
      if (kafka != null) {
        kafka.createTopic(warmInput, 6);
      }
      List<String> warmExpected = produce(bootstrap, warmInput, warmupRecords);
      Map<TopicPartition, Long> warmEnd = endOffsets(bootstrap, warmInput);
      for (String system : systems) {
        Result r = runOne(bootstrap, kafka, system, warmInput, warmEnd, warmExpected, warmupRecords);
        System.out.printf(Locale.ROOT, "# warm-up system=%s records=%d seconds=%.2f duplicates=%d lost=%d%n",
            system, r.seen, r.seconds, r.duplicates, r.lost);
      }
    }
    String input = INPUT + "-" + System.currentTimeMillis();
    if (kafka != null) {
      kafka.createTopic(input, 6);
    }
    List<String> expected = produce(bootstrap, input, records);
    Map<TopicPartition, Long> inputEnd = endOffsets(bootstrap, input);
    BenchOutcome outcome = new BenchOutcome(java.util.Set.of("sagaflow-eos", "sagaflow-alos"));
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < systems.size(); i++) {
        // Later rounds rotate the order, so that no system always runs first (on a colder broker).
        String system = systems.get((i + round) % systems.size());
        Result r = runOne(bootstrap, kafka, system, input, inputEnd, expected, records);
        System.out.printf(Locale.ROOT,
            "RESULT system=%s scenario=copy records=%d seconds=%.2f rate=%.0f duplicates=%d lost=%d%n",
            system, r.seen, r.seconds, r.seen / r.seconds, r.duplicates, r.lost);
        System.out.printf(Locale.ROOT, "# cpu system=%s child_cpu_s=%.1f broker_cpu_s=%.1f%n",
            system, r.childCpu, r.brokerCpu);
        System.out.flush();
        boolean ok = r.complete && r.lost == 0 && (r.duplicates == 0 || !system.endsWith("-eos"));
        if (!ok) {
          outcome.failed(system, String.format(Locale.ROOT, "copy complete=%s lost=%d duplicates=%d", r.complete,
              r.lost, r.duplicates));
        }
        rates.computeIfAbsent(system, k -> new ArrayList<>()).add(r.complete ? r.seen / r.seconds : 0.0);
      }
    }
    printRatios(rates);
    outcome.summary().ifPresent(System.out::println);
    return outcome.exitCode();
  }

  /**
   * One copy. {@code childCpu}: CPU seconds the system's JVM used while timed; {@code brokerCpu}: CPU
   * seconds of this JVM meanwhile (the embedded broker and the timing reader), a load-independent
   * view on a shared machine.
   */
  private record Result(long seen, double seconds, boolean complete, long duplicates, long lost,
      double childCpu, double brokerCpu) {}

  /** The child JVM just started (the newest child of this process running EosChildMain). */
  private static ProcessHandle childProcess() {
    return ProcessHandle.current().children()
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(EosChildMain.class.getName())).orElse(false))
        .max(java.util.Comparator.comparing(p -> p.info().startInstant().orElse(java.time.Instant.EPOCH)))
        .orElse(null);
  }

  private static Duration cpu(ProcessHandle p) {
    return p == null ? Duration.ZERO : p.info().totalCpuDuration().orElse(Duration.ZERO);
  }

  private Result runOne(String bootstrap, EmbeddedKafka kafka, String system, String input,
      Map<TopicPartition, Long> inputEnd, List<String> expected, int records) throws Exception {
    String stamp = Long.toString(System.currentTimeMillis());
    String output = "bench-eos-out-" + system + "-" + stamp;
    String groupId = "bench-eos-" + system + "-" + stamp;
    if (kafka != null) {
      kafka.createTopic(output, 6);
    }
    try (ChildJvm child = ChildJvm.start(EosChildMain.class, system, bootstrap, input, output,
        Long.toString(commitIntervalMs), groupId, Integer.toString(maxInFlight),
        Integer.toString(maxRecordsPerTransaction), Integer.toString(lingerMs))) {
      child.awaitLine("READY"::equals, Duration.ofSeconds(60));
      ProcessHandle childProcess = childProcess();
      Duration childCpu0 = cpu(childProcess);
      Duration ownCpu0 = cpu(ProcessHandle.current());
      long start = System.nanoTime();
      long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
      long seen = awaitCopied(bootstrap, output, records, deadline);
      boolean committed = seen >= records && awaitCommitted(bootstrap, groupId, inputEnd, deadline);
      double seconds = (System.nanoTime() - start) / 1e9;
      double childCpu = cpu(childProcess).minus(childCpu0).toMillis() / 1e3;
      double ownCpu = cpu(ProcessHandle.current()).minus(ownCpu0).toMillis() / 1e3;
      if (!committed) {
        List<String> out = child.output();
        System.err.printf(Locale.ROOT, "%s: %d of %d records visible, input offsets %scommitted after %.1f s; "
            + "the child's last output:%n", system, seen, records, seen >= records ? "not " : "not checked, ",
            seconds);
        out.subList(Math.max(0, out.size() - 30), out.size()).forEach(System.err::println);
      }
      child.terminate(Duration.ofSeconds(30));
      DeliveryCheck.Report r = DeliveryCheck.read(bootstrap, output, expected, Duration.ofSeconds(3));
      return new Result(seen, seconds, committed, r.duplicates(), r.lost(), childCpu, ownCpu);
    }
  }

  /** Median rate per system, then Sagaflow exactly-once against the two others. */
  private static void printRatios(Map<String, List<Double>> rates) {
    Map<String, Double> median = new LinkedHashMap<>();
    rates.forEach((system, list) -> {
      List<Double> sorted = list.stream().sorted().toList();
      int n = sorted.size();
      median.put(system, n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
    });
    Double eos = median.get("sagaflow-eos");
    if (eos == null) {
      return;
    }
    StringBuilder line = new StringBuilder("RATIO");
    for (String other : List.of("sagaflow-alos", "kafka-streams-eos")) {
      Double o = median.get(other);
      if (o != null && o > 0) {
        line.append(String.format(Locale.ROOT, " sagaflow-eos/%s=%.2f", other, eos / o));
      }
    }
    if (rates.get("sagaflow-eos").size() > 1) {
      line.append(" (median rates over ").append(rates.get("sagaflow-eos").size()).append(" rounds)");
    }
    System.out.println(line);
  }

  /** Keys from 10,000; each value {@code key:seq} padded to 100 bytes. */
  private static List<String> produce(String bootstrap, String topic, int records) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    List<String> ids = new ArrayList<>(records);
    int[] seq = new int[10_000];
    java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicReference<Exception> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.partitionsFor(topic); // the topic's metadata before the first send
      for (int i = 0; i < records; i++) {
        int k = i % 10_000;
        String key = String.format(Locale.ROOT, "key-%05d", k);
        String id = DeliveryCheck.value(key, ++seq[k]);
        ids.add(id);
        StringBuilder v = new StringBuilder(100).append(id).append(' ');
        while (v.length() < 100) {
          v.append('x');
        }
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
            v.toString().getBytes(StandardCharsets.UTF_8)), (md, e) -> {
              if (e != null) {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
    }
    if (failed.get() > 0) {
      // A record that never reached the input would count as lost for every system.
      throw new IllegalStateException(failed.get() + " of " + records + " input records could not be written to "
          + topic + "; the run would count them as lost", firstFailure.get());
    }
    return ids;
  }

  /** Counts committed records in {@code topic} until {@code target} or the deadline. */
  private static long awaitCopied(String bootstrap, String topic, int target, long deadlineNanos) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    long count = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long t0 = System.nanoTime();
      long nextReport = t0 + 1_000_000_000L;
      while (count < target && System.nanoTime() - deadlineNanos < 0) {
        count += c.poll(Duration.ofMillis(50)).count();
        if (PROGRESS && System.nanoTime() - nextReport >= 0) {
          System.err.printf(Locale.ROOT, "  progress %s t=%.1fs visible=%d%n", topic, (System.nanoTime() - t0) / 1e9, count);
          nextReport += 1_000_000_000L;
        }
      }
    }
    return count;
  }

  /**
   * Waits until the group committed the input's end offsets (so that a restart would copy nothing
   * again); true if it did before the deadline. With exactly-once the offsets commit with the last
   * outputs; at least once they follow them by up to a commit interval.
   */
  private static boolean awaitCommitted(String bootstrap, String groupId, Map<TopicPartition, Long> end,
      long deadlineNanos) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      while (System.nanoTime() - deadlineNanos < 0) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
        boolean all = true;
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
          OffsetAndMetadata om = committed.get(e.getKey());
          if (om == null || om.offset() < e.getValue()) {
            all = false;
            break;
          }
        }
        if (all) {
          return true;
        }
        Thread.sleep(5);
      }
      return false;
    }
  }

  private static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      return c.endOffsets(parts, Duration.ofSeconds(30));
    }
  }
}
