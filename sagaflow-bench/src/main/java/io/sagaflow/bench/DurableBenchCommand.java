package io.sagaflow.bench;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Durable three-step sagas against plain ones, in the same run: each saga, started by a record on
 * an input topic, puts a request, takes the reply, puts a second request, takes its reply, and puts
 * an output. An echo participant (a plain saga consumer in this JVM, as if another service)
 * answers the requests. The saga consumer under test runs in a child JVM of its own
 * ({@link DurableBenchChild}); this JVM produces the inputs and reads the outputs
 * ({@code read_committed}), so a saga's latency runs from its input's scheduled send to its output
 * becoming visible: start to completion, as a user sees it.
 *
 * <p>Scenarios per system: a warm-up, then {@code durable-3step-saturated} (all inputs sent at
 * once; rate = sagas over the time to the last output), then {@code durable-3step-<rate>} (inputs
 * paced, latency from each input's scheduled time, so no coordinated omission). For the durable
 * system, {@code durable-waiting}: N sagas each waiting on a take, the child's heap after a full GC,
 * taken once they are all evicted ({@code --evict-idle-after}, 5 s here; {@code 0s} measures them
 * resident) or the timeout passed.
 *
 * <p>The peer {@code restate} ({@link RestatePeer}) runs the same saga as Restate services behind a Restate
 * server that consumes the same input topic; the same inputs and the same output reader measure it. Where
 * the server cannot be installed or started, it prints {@code SKIP system=restate reason="…"} instead.
 */
@Command(name = "durable", mixinStandardHelpOptions = true,
    description = "Durable three-step sagas (journaled in Kafka) against plain sagas and Restate: saturated rate, "
        + "latency at an offered load, and the heap of many waiting sagas.")
final class DurableBenchCommand implements Callable<Integer> {
  private static final int PARTITIONS = 6;

  @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
  String bootstrapServers;

  @Option(names = "--systems", split = ",", defaultValue = "sagaflow-durable,sagaflow,restate",
      description = "Systems to run, in order (default ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--sagas", defaultValue = "20000", description = "Sagas in the saturated run (default ${DEFAULT-VALUE})")
  int saturatedSagas;

  @Option(names = "--rate", defaultValue = "500", description = "Offered load of the paced run, sagas/s (default ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--paced-seconds", defaultValue = "10", description = "Length of the paced run (default ${DEFAULT-VALUE})")
  int pacedSeconds;

  @Option(names = "--waiting", defaultValue = "100000",
      description = "Sagas left waiting in the heap scenario, 0 to skip it (default ${DEFAULT-VALUE})")
  int waiting;

  @Option(names = "--evict-idle-after", defaultValue = "5s", converter = io.sagaflow.cli.DurationConverter.class,
      description = "In the heap scenario, evict sagas idle this long and measure once they are evicted; 0s keeps"
          + " every saga resident (default ${DEFAULT-VALUE})")
  Duration evictIdleAfter;

  @Option(names = "--child-heap", defaultValue = "1g", description = "-Xmx of the child JVM (default ${DEFAULT-VALUE})")
  String childHeap;

  @Option(names = "--timeout", defaultValue = "300", description = "Seconds a scenario may take (default ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = "--node", defaultValue = "node", description = "The node program npm needs (default ${DEFAULT-VALUE})")
  String node;

  @Option(names = "--npm", defaultValue = "npm", description = "The npm program (default ${DEFAULT-VALUE})")
  String npm;

  @Option(names = "--restate-dir", paramLabel = "DIR",
      description = "Where npm installs the Restate server (default: restate-server-<version> next to the bench)")
  Path restateDir;

  /** Where RESULT, RATIO and SKIP lines go (a test captures them). */
  PrintStream out = System.out;

  private final ActionCodec codec = ActionCodec.create();

  @Override
  public Integer call() throws Exception {
    for (String s : systems) {
      if (!s.equals("sagaflow-durable") && !s.equals("sagaflow") && !s.equals(RestatePeer.SYSTEM)) {
        throw new IllegalArgumentException("unknown system '" + s + "'; use sagaflow-durable, sagaflow or restate");
      }
    }
    if (bootstrapServers != null) {
      return run(bootstrapServers, null);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      return run(kafka.bootstrapServers(), kafka);
    }
  }

  private int run(String bootstrap, EmbeddedKafka kafka) throws Exception {
    String runId = Long.toString(System.currentTimeMillis(), 36);
    Map<String, double[]> rates = new LinkedHashMap<>();
    int failures = 0;
    for (String system : systems) {
      String prefix = "bench-durable-" + runId + "-" + system;
      if (system.equals(RestatePeer.SYSTEM)) {
        failures += runRestate(bootstrap, kafka, prefix, rates);
        continue;
      }
      createTopics(kafka, bootstrap, prefix);
      try (Echo echo = new Echo(bootstrap, prefix);
          Child child = Child.start(bootstrap, prefix, system.equals("sagaflow-durable"), false, childHeap,
              io.sagaflow.saga.DurableOptions.DEFAULT_EVICT_IDLE_AFTER.toMillis());
          Sagas3 sagas = new Sagas3(bootstrap, prefix, codec)) {
        echo.awaitAssigned();
        child.awaitReady(Duration.ofSeconds(90));
        failures += measure(system, sagas, rates);
      }
    }
    ratio("durable/plain", rates.get("sagaflow-durable"), rates.get("sagaflow"));
    ratio("sagaflow-durable/restate", rates.get("sagaflow-durable"), rates.get(RestatePeer.SYSTEM));
    if (waiting > 0 && systems.contains("sagaflow-durable")) {
      String prefix = "bench-durable-" + runId + "-waiting";
      createTopics(kafka, bootstrap, prefix);
      long evictMs = evictIdleAfter.isZero() ? -1 : evictIdleAfter.toMillis();
      try (Child child = Child.start(bootstrap, prefix, true, true, childHeap, evictMs);
          Sagas3 sagas = new Sagas3(bootstrap, prefix, codec)) {
        child.awaitReady(Duration.ofSeconds(90));
        Measured started = sagas.saturated(waiting, timeoutSeconds);
        int[] resident = child.resident();
        // With eviction, measure once the waiting sagas have left memory (or the timeout passed).
        long until = System.nanoTime() + evictIdleAfter.plusSeconds(timeoutSeconds).toNanos();
        while (evictMs >= 0 && resident[0] > 0 && System.nanoTime() < until) {
          Thread.sleep(500);
          resident = child.resident();
        }
        long heapMb = child.heapMb();
        out.printf(Locale.ROOT,
            "RESULT system=sagaflow-durable scenario=durable-waiting sagas=%d seconds=%.2f rate=%.0f heap_mb=%d"
                + " resident=%d evicted=%d%s%n",
            started.done(), started.seconds(), started.rate(), heapMb, resident[0], resident[1],
            started.missing() == 0 ? "" : " missing=" + started.missing());
        failures += started.missing();
      }
    }
    return failures == 0 ? 0 : 1;
  }

  /** Warm-up, then the saturated and the paced scenario; returns the sagas that did not complete. */
  private int measure(String system, Sagas3 sagas, Map<String, double[]> rates) {
    sagas.saturated(Math.min(2000, saturatedSagas), timeoutSeconds); // warm-up
    Measured saturated = sagas.saturated(saturatedSagas, timeoutSeconds);
    print(system, "durable-3step-saturated", saturated);
    sagas.paced(rate, Math.min(5, pacedSeconds), timeoutSeconds); // warm-up at the paced load
    Measured paced = sagas.paced(rate, pacedSeconds, timeoutSeconds);
    print(system, "durable-3step-" + rate, paced);
    rates.put(system, new double[] {saturated.rate(), paced.percentile(0.99)});
    return saturated.missing() + paced.missing();
  }

  /** The Restate peer: SKIP (not a failure) when its server cannot be installed or started. */
  private int runRestate(String bootstrap, EmbeddedKafka kafka, String prefix, Map<String, double[]> rates)
      throws InterruptedException {
    Path dir = restateDir != null ? restateDir : RestatePeer.defaultNpmDir();
    out.println("bench: Restate server " + RestatePeer.SERVER_VERSION + " in " + dir);
    RestatePeer.Binary binary;
    switch (RestatePeer.prepare(node, npm, dir)) {
      case RestatePeer.Skip s -> {
        skip(s.reason());
        return 0;
      }
      case RestatePeer.Binary b -> binary = b;
    }
    createTopics(kafka, bootstrap, prefix);
    RestatePeer peer;
    try {
      peer = RestatePeer.start(binary, bootstrap, prefix, childHeap);
    } catch (IOException | IllegalStateException e) {
      skip("the Restate server or its service JVM did not start: " + e.getMessage());
      return 0;
    }
    try (peer; Sagas3 sagas = new Sagas3(bootstrap, prefix, codec)) {
      return measure(RestatePeer.SYSTEM, sagas, rates);
    }
  }

  private void skip(String reason) {
    out.println("SKIP system=" + RestatePeer.SYSTEM + " reason=\""
        + reason.strip().replace('"', '\'').replaceAll("\\s*\\R\\s*", " | ") + "\"");
    out.flush();
  }

  private void ratio(String name, double[] a, double[] b) {
    if (a != null && b != null) {
      out.printf(Locale.ROOT, "RATIO %s saturated_rate=%.2f p99_at_%d=%.2f%n", name, a[0] / Math.max(0.001, b[0]), rate,
          a[1] / Math.max(0.001, b[1]));
    }
  }

  private static void createTopics(EmbeddedKafka kafka, String bootstrap, String prefix) {
    for (String suffix : List.of("-in", "-req", "-reply", "-out")) {
      if (kafka != null) {
        kafka.createTopic(prefix + suffix, PARTITIONS);
      } else {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
          admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(prefix + suffix, PARTITIONS,
              (short) 1))).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException("cannot create topic " + prefix + suffix + " on " + bootstrap + ": " + e, e);
        }
      }
    }
  }

  private void print(String system, String scenario, Measured m) {
    out.printf(Locale.ROOT,
        "RESULT system=%s scenario=%s sagas=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f%s%n",
        system, scenario, m.done(), m.seconds(), m.rate(), m.percentile(0.5), m.percentile(0.99),
        m.missing() == 0 ? "" : " missing=" + m.missing());
    out.flush();
  }

  /** Latencies (ms) of the sagas that completed, and how many did not within the time limit. */
  record Measured(int done, int missing, double seconds, double[] sortedMillis) {
    double rate() {
      return seconds <= 0 ? 0 : done / seconds;
    }

    double percentile(double p) {
      if (sortedMillis.length == 0) {
        return 0;
      }
      return sortedMillis[Math.min(sortedMillis.length - 1, (int) Math.ceil(p * sortedMillis.length) - 1)];
    }
  }

  /** The participant: answers each request with a reply in the same transaction. */
  private static final class Echo implements AutoCloseable {
    private final SagaRuntime runtime;
    private final SagaConsumer consumer;

    Echo(String bootstrap, String prefix) {
      runtime = Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", bootstrap)
          .withKafkaProperty("client.id", "bench-durable-echo"));
      String reply = prefix + "-reply";
      Saga<Integer> echo = (action, ctx) -> ctx.put(reply, action.payload());
      consumer = runtime.consumer(prefix + "-req", Integer.class, echo,
          SagaConsumerOptions.of(prefix + "-echo").withMaxInFlight(10_000));
    }

    void awaitAssigned() throws InterruptedException {
      Assignments.await(consumer, Duration.ofSeconds(60), "the echo participant");
    }

    @Override
    public void close() {
      consumer.close();
      runtime.close();
    }
  }

  /** The child JVM running the saga consumer under test. */
  private static final class Child implements AutoCloseable {
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private Child(Process process) {
      this.process = process;
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread.ofPlatform().daemon().name("bench-durable-child-out").start(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("EOF " + e);
        }
      });
    }

    static Child start(String bootstrap, String prefix, boolean durable, boolean waiting, String heap,
        long evictIdleAfterMs) throws IOException {
      List<String> command = new ArrayList<>();
      command.add(ChildLauncher.javaCommand());
      if (Runtime.version().feature() >= 24) {
        command.add("--sun-misc-unsafe-memory-access=allow");
      }
      command.addAll(List.of("-Xmx" + heap, "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
          DurableBenchChild.class.getName(), "--bootstrap-servers", bootstrap, "--prefix", prefix,
          "--group", prefix + "-sagas"));
      if (durable) {
        command.add("--durable");
      }
      if (waiting) {
        command.add("--waiting");
      }
      command.add("--evict-idle-after-ms=" + evictIdleAfterMs);
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      return new Child(p);
    }

    void awaitReady(Duration timeout) throws InterruptedException {
      String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!"READY".equals(line)) {
        throw new IllegalStateException("the saga consumer's JVM did not get ready: " + line);
      }
    }

    /** The child's resident and evicted sagas. */
    int[] resident() throws IOException, InterruptedException {
      stdin.write("RESIDENT\n");
      stdin.flush();
      String line = lines.poll(60, TimeUnit.SECONDS);
      if (line == null || !line.startsWith("RESIDENT ")) {
        throw new IllegalStateException("the saga consumer's JVM did not report its resident sagas: " + line);
      }
      String[] parts = line.substring(9).trim().split(" ");
      return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    long heapMb() throws IOException, InterruptedException {
      stdin.write("HEAP\n");
      stdin.flush();
      String line = lines.poll(60, TimeUnit.SECONDS);
      if (line == null || !line.startsWith("HEAP ")) {
        throw new IllegalStateException("the saga consumer's JVM did not report its heap: " + line);
      }
      return Long.parseLong(line.substring(5).trim());
    }

    @Override
    public void close() {
      try {
        stdin.close(); // the child closes its consumer and exits
      } catch (IOException e) {
        // already gone
      }
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Sends inputs and times their outputs. */
  private static final class Sagas3 implements AutoCloseable {
    private final String in;
    private final String out;
    private final ActionCodec codec;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> outputs;
    private final AtomicInteger next = new AtomicInteger();

    Sagas3(String bootstrap, String prefix, ActionCodec codec) {
      this.in = prefix + "-in";
      this.out = prefix + "-out";
      this.codec = codec;
      producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "linger.ms", "1",
          "client.id", "bench-durable-inputs"), new ByteArraySerializer(), new ByteArraySerializer());
      outputs = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed",
          "client.id", "bench-durable-outputs"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        parts.add(new TopicPartition(out, p));
      }
      outputs.assign(parts);
      outputs.seekToBeginning(parts);
    }

    private void send(int n) {
      producer.send(codec.toRecord(Action.of(in, "bench-" + n, n)));
    }

    /** All {@code sagas} inputs at once; latency from the send of the first. */
    Measured saturated(int sagas, int timeoutSeconds) {
      int first = next.getAndAdd(sagas);
      long start = System.nanoTime();
      for (int i = 0; i < sagas; i++) {
        send(first + i);
      }
      producer.flush();
      long[] scheduled = new long[sagas];
      Arrays.fill(scheduled, start);
      return collect(first, scheduled, start, timeoutSeconds);
    }

    /** {@code rate} inputs per second for {@code seconds}; latency from each input's scheduled time. */
    Measured paced(int rate, int seconds, int timeoutSeconds) {
      int sagas = rate * seconds;
      int first = next.getAndAdd(sagas);
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      long start = System.nanoTime();
      long[] scheduled = new long[sagas];
      for (int i = 0; i < sagas; i++) {
        scheduled[i] = start + i * interval;
      }
      Thread sender = Thread.ofPlatform().name("bench-durable-pacer").start(() -> {
        for (int i = 0; i < sagas; i++) {
          long wait = scheduled[i] - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          send(first + i);
        }
        producer.flush();
      });
      Measured m = collect(first, scheduled, start, timeoutSeconds);
      try {
        sender.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return m;
    }

    /** Reads outputs until sagas {@code first..first+n-1} are all done or the time is up. */
    private Measured collect(int first, long[] scheduled, long start, int timeoutSeconds) {
      int n = scheduled.length;
      long[] done = new long[n];
      int count = 0;
      long last = start;
      long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      while (count < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : outputs.poll(Duration.ofMillis(50))) {
          long now = System.nanoTime();
          int i = codec.decode(r).payload().asInt() - first;
          if (i >= 0 && i < n && done[i] == 0) {
            done[i] = now;
            count++;
            last = now;
          }
        }
      }
      double[] millis = new double[count];
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (done[i] != 0) {
          millis[k++] = (done[i] - scheduled[i]) / 1e6;
        }
      }
      Arrays.sort(millis);
      return new Measured(count, n - count, (last - start) / 1e9, millis);
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(5));
      outputs.close();
    }
  }
}
