package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The recovery pipeline under load: the same number of records twice, clean and then with 1%
 * poison pills and 1% records whose handler always fails. The handler writes each record it
 * processes to an output topic (waiting for the ack); afterwards an independent reader of the
 * output and dead-letter topics counts what was lost.
 *
 * <p>Both runs are timed the same way: from the processor's start (group join included) until the
 * last record is written or dead-lettered; topics are created and the input produced before.
 * {@code cpu_s} is this JVM's CPU time over the same window (the embedded broker runs in it too),
 * which shows what a run cost even when other processes share the cores. Before them, unmeasured
 * failures runs of {@code --warmup-records} records warm up until the JIT is quiet ({@code
 * --warmup-seconds}): both measured runs then find the JIT's code compiled for both paths, and the
 * ratio shows what failures cost once a service is warm. Without a warm-up ({@code
 * --warmup-records 0}, the procedure before session 10) the clean run, which goes first, pays the
 * warm-up of the common path and the failures run that of the failure path. The last line compares
 * the two runs.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
    description = "Recovery pipeline throughput: clean run vs 1%% poison pills and 1%% failing records.")
final class RecoveryBenchCommand implements Callable<Integer> {
  @Option(names = "--records", defaultValue = "1000000", description = "Records per run (default ${DEFAULT-VALUE})")
  int records;

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Option(names = "--warmup-records", defaultValue = "200000",
      description = "Records of each unmeasured failures run before the clean run, for the JIT; 0: no warm-up"
          + " (default ${DEFAULT-VALUE})")
  int warmupRecords;

  @Option(names = "--warmup-seconds", defaultValue = "60",
      description = "Warm-up runs go on until the JIT is quiet (under 100 ms of compilation per second in each of 2"
          + " consecutive runs), at least 10 s and at most this long; 0: one warm-up run (default ${DEFAULT-VALUE})")
  int warmupSeconds;

  /** Values are {@code v<n>}; anything else is a poison pill. */
  static final class NumberDeserializer implements Deserializer<Long> {
    @Override
    public Long deserialize(String topic, byte[] data) {
      if (data.length < 2 || data[0] != 'v') {
        throw new SerializationException("not a v<number>");
      }
      return Long.parseLong(new String(data, 1, data.length - 1, StandardCharsets.US_ASCII));
    }
  }

  @Override
  public Integer call() throws Exception {
    if (bootstrapServers != null) {
      run(bootstrapServers, null);
      return 0;
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      run(kafka.bootstrapServers(), kafka);
    }
    return 0;
  }

  private void run(String bootstrap, EmbeddedKafka kafka) throws Exception {
    if (warmupRecords > 0 && warmupSeconds <= 0) {
      double[] warm = runOnce(bootstrap, kafka, "recovery-warmup", true, warmupRecords);
      System.out.printf(Locale.ROOT, "WARMUP system=sagaflow records=%d seconds=%.2f cpu_s=%.1f%n",
          warmupRecords, warm[0], warm[1]);
    } else if (warmupRecords > 0) {
      JitWarmUp.Result warm = JitWarmUp.run(Math.min(10, warmupSeconds), warmupSeconds, () -> {
        runOnce(bootstrap, kafka, "recovery-warmup", true, warmupRecords);
        return true;
      });
      System.out.printf(Locale.ROOT, "WARMUP system=sagaflow records=%d runs=%d seconds=%.0f jit_quiet=%s%n",
          warmupRecords, warm.rounds(), warm.seconds(), warm.timed() ? warm.quiet() : "unknown");
    }
    double[] clean = runOnce(bootstrap, kafka, "recovery-clean", false, records);
    double[] failures = runOnce(bootstrap, kafka, "recovery-failures", true, records);
    double ratio = clean[0] / failures[0];
    System.out.printf(Locale.ROOT, "RATIO system=sagaflow scenario=recovery failures_vs_clean=%.2f cpu_vs_clean=%.2f"
        + " target=0.90 met=%s%n", ratio, failures[1] / clean[1], ratio >= 0.9 ? "yes" : "no");
  }

  /** Runs one scenario of {@code records} records and returns its seconds and CPU seconds; a warm-up prints nothing. */
  private double[] runOnce(String bootstrap, EmbeddedKafka kafka, String scenario, boolean failures, int records)
      throws Exception {
    boolean print = !scenario.endsWith("warmup");
    String run = scenario + "-" + System.currentTimeMillis();
    String input = run + "-in";
    String output = run + "-out";
    if (kafka != null) {
      kafka.createTopic(input, 6);
      kafka.createTopic(output, 6);
    }
    long expectedDead = produce(bootstrap, input, failures, records);
    RetryPolicy policy = RetryPolicy.defaults()
        .withInPlaceAttempts(3)
        .withInitialBackoff(Duration.ofMillis(10))
        .withRetryTopicDelays(List.of());
    AtomicLong processed = new AtomicLong();
    AtomicLong dead = new AtomicLong();
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    pp.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    double seconds;
    double cpuSeconds;
    try (KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
        RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(bootstrap, run).withPolicy(policy)
            .withListener(new io.sagaflow.recovery.RecoveryListener() {
              @Override
              public void onDeadLettered(String originTopic, String deadLetterTopic, Throwable error) {
                dead.incrementAndGet();
              }
            }))) {
      recovery.createTopics(input);
      ProcessorOptions<String, Long> options = ProcessorOptions
          .create(bootstrap, run, new StringDeserializer(), new NumberDeserializer())
          .withTopics(input)
          .withOrdering(Ordering.KEY)
          .withMaxInFlight(5000)
          .withFailureHandler(recovery);
      long start = System.nanoTime();
      long cpuStart = processCpuNanos();
      java.util.Map<Long, Long> threadsStart = threadCpu();
      try (Processor<String, Long> p = Processor.forRecords(options, r -> {
        long n = r.value();
        if (n % 100 == 42 && failures) {
          throw new IllegalStateException("record " + n + " always fails");
        }
        out.send(new ProducerRecord<>(output, r.raw().key(), r.raw().value())).get();
        processed.incrementAndGet();
      }).start()) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (processed.get() + dead.get() < records && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        seconds = (System.nanoTime() - start) / 1e9;
        cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        if (print) {
          printCpuByThread(scenario, threadsStart, cpuSeconds);
        }
        p.close(Duration.ofSeconds(30));
      }
    }
    long lost = countLost(bootstrap, output, input + "-dlt", records);
    if (!print) {
      if (lost != 0 || dead.get() != expectedDead) {
        throw new IllegalStateException("warm-up run lost " + lost + " records, dead-lettered " + dead.get()
            + " of " + expectedDead);
      }
    } else if (failures) {
      System.out.printf(Locale.ROOT,
          "RESULT system=sagaflow scenario=%s records=%d seconds=%.2f rate=%.0f cpu_s=%.1f dead_lettered=%d"
              + " expected_dead_letters=%d lost=%d%n",
          scenario, records, seconds, records / seconds, cpuSeconds, dead.get(), expectedDead, lost);
    } else {
      System.out.printf(Locale.ROOT, "RESULT system=sagaflow scenario=%s records=%d seconds=%.2f rate=%.0f cpu_s=%.1f lost=%d%n",
          scenario, records, seconds, records / seconds, cpuSeconds, lost);
    }
    return new double[] {seconds, cpuSeconds};
  }

  private static java.util.Map<Long, Long> threadCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.Map<Long, Long> cpu = new java.util.HashMap<>();
    for (long id : mx.getAllThreadIds()) {
      cpu.put(id, mx.getThreadCpuTime(id));
    }
    return cpu;
  }

  /**
   * A {@code CPU} line: the run's CPU seconds by kind of thread (broker, poll loop, handler and
   * recovery work on the virtual-thread carriers, producers' network threads), the rest being the
   * JVM's own (JIT, GC) and threads that ended within the run.
   */
  private static void printCpuByThread(String scenario, java.util.Map<Long, Long> start, double total) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.Map<String, Double> byKind = new java.util.TreeMap<>();
    double java = 0;
    for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long now = mx.getThreadCpuTime(info.getThreadId());
      if (now < 0) {
        continue;
      }
      double s = (now - start.getOrDefault(info.getThreadId(), 0L)) / 1e9;
      String n = info.getThreadName();
      String kind = n.startsWith("kafka-producer-network-thread") ? (n.contains("recovery") ? "recovery_producer" : "producers")
          : n.startsWith("ForkJoinPool") || n.startsWith("sagaflow-worker") ? "workers"
          : n.startsWith("sagaflow-poll") ? "poll"
          : n.startsWith("data-plane-kafka-request-handler") ? "broker_handlers"
          : n.startsWith("data-plane-kafka-network-thread") ? "broker_network"
          : n.startsWith("main") ? "main" : "other_threads";
      byKind.merge(kind, s, Double::sum);
      java += s;
    }
    StringBuilder line = new StringBuilder("CPU scenario=" + scenario);
    byKind.forEach((k, v) -> line.append(String.format(Locale.ROOT, " %s=%.1f", k, v)));
    line.append(String.format(Locale.ROOT, " jvm_and_ended=%.1f", total - java));
    System.out.println(line);
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
  }

  /** Produces {@code v<n>} values; with failures, 1% poison pills ({@code n % 100 == 7}). Returns the dead letters to expect. */
  private long produce(String bootstrap, String topic, boolean failures, int records) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    long expectedDead = 0;
    AtomicLong failed = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<Exception> firstError = new java.util.concurrent.atomic.AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < records; i++) {
        boolean poison = failures && i % 100 == 7;
        boolean failing = failures && i % 100 == 42;
        if (poison || failing) {
          expectedDead++;
        }
        byte[] key = ("key-" + (i % 10_000)).getBytes(StandardCharsets.US_ASCII);
        byte[] value = (poison ? "x" + i : "v" + i).getBytes(StandardCharsets.US_ASCII);
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, e) -> {
          if (e != null) {
            firstError.compareAndSet(null, e);
            failed.incrementAndGet();
          }
        });
      }
      producer.flush();
    }
    if (failed.get() > 0) {
      // A run would otherwise wait for records that were never written, and time out.
      throw new IllegalStateException("the bench could not write " + failed.get() + " of its " + records
          + " input records to " + topic + ": " + firstError.get(), firstError.get());
    }
    return expectedDead;
  }

  /** Reads output and dead letters independently; a record is lost if it is in neither. */
  private long countLost(String bootstrap, String output, String dlt, int records) {
    BitSet seen = new BitSet(records);
    for (String topic : List.of(output, dlt)) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(i -> new TopicPartition(topic, i.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        long idleSince = System.nanoTime();
        while (System.nanoTime() - idleSince < TimeUnit.SECONDS.toNanos(2)) {
          var polled = c.poll(Duration.ofMillis(100));
          if (!polled.isEmpty()) {
            idleSince = System.nanoTime();
          }
          for (ConsumerRecord<byte[], byte[]> r : polled) {
            String v = new String(r.value(), StandardCharsets.US_ASCII);
            seen.set(Integer.parseInt(v.substring(1)));
          }
        }
      }
    }
    return records - seen.cardinality();
  }
}
