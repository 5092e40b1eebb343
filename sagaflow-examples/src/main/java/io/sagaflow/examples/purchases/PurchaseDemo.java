package io.sagaflow.examples.purchases;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.sagaflow.admin.GroupLag;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;

/**
 * The producer-consumer demo: a producer writes {@link Purchase} events keyed by user, a Sagaflow
 * {@link io.sagaflow.processor.Processor} with several consumers (one consumer group) reads them,
 * and the summary proves that every purchase was consumed exactly once by the group and in order
 * per user.
 *
 * <pre>{@code
 * PurchaseDemo.Summary s = PurchaseDemo.run(PurchaseDemoConfig.fromEnvironment(System.getenv()), System.out);
 * System.exit(s.ok() ? 0 : 1);
 * }</pre>
 */
public final class PurchaseDemo {
  private static final String[] ITEMS = {
    "coffee beans", "headphones", "notebook", "desk lamp", "running shoes", "backpack",
    "water bottle", "keyboard", "plant pot", "umbrella"
  };
  static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private PurchaseDemo() {}

  /**
   * What the demo saw.
   *
   * @param produced purchases produced and acknowledged
   * @param consumedPerConsumer purchases of this run consumed by each consumer
   * @param missing produced but never consumed
   * @param duplicates consumed more than once
   * @param outOfOrder consumed before an earlier purchase of the same user
   */
  public record Summary(
      long produced, List<Long> consumedPerConsumer, long missing, long duplicates, long outOfOrder) {
    /** Purchases consumed, duplicates included. */
    public long consumed() {
      return consumedPerConsumer.stream().mapToLong(Long::longValue).sum();
    }

    /** Exactly once per group and in order per user. */
    public boolean ok() {
      return produced > 0 && missing == 0 && duplicates == 0 && outOfOrder == 0;
    }
  }

  /**
   * Runs the demo, printing progress to {@code out}, and returns the summary.
   *
   * @throws IllegalStateException if Kafka cannot be reached or the topic cannot be created; the
   *     message names the address and what to check
   */
  public static Summary run(PurchaseDemoConfig config, PrintStream out) {
    EmbeddedKafka embedded = null;
    ClusterOptions options = config.cluster();
    try {
      out.println("Sagaflow demo: purchases (producer and consumer group)");
      if (options == null) {
        long t0 = System.nanoTime();
        embedded = EmbeddedKafka.start();
        options = ClusterOptions.of("embedded", embedded.bootstrapServers());
        out.printf(Locale.ROOT, "  broker     embedded Kafka at %s (ready in %.1f s)%n",
            options.bootstrapServers(), (System.nanoTime() - t0) / 1e9);
      } else {
        out.printf("  broker     %s (%s)%n", options.bootstrapServers(), options.securityProtocol());
      }
      // Short admin timeouts, unless the user's client settings say otherwise.
      Map<String, String> overrides = new HashMap<>(Map.of(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
      overrides.putAll(options.clientOverrides());
      options = new ClusterOptions(options.name(), options.bootstrapServers(), options.sasl(), options.tls(),
          options.security(), overrides);
      return run(options, config, out);
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private static Summary run(ClusterOptions options, PurchaseDemoConfig config, PrintStream out) {
    try (KafkaCluster cluster = KafkaCluster.create(options)) {
      try {
        cluster.verifyReachable(Duration.ofSeconds(10));
      } catch (IllegalStateException e) {
        throw new IllegalStateException(e.getMessage() + " (check --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS,"
            + " --command-config, or leave the servers unset to run an embedded broker)", e);
      }
      int partitions = ensureTopic(cluster.admin(), config, out);
      out.printf("  topic      %s, %d partitions%n", config.topic(), partitions);
      out.printf("  consumers  %d in group %s%n", config.consumers(), config.groupId());
      out.printf("  producing  %s%s%n",
          config.duration() != null && config.count() == Long.MAX_VALUE
              ? "for " + config.duration().toSeconds() + " s"
              : config.count() + " purchases",
          config.rate() == 0 ? " as fast as possible" : " at " + config.rate() + "/s");
      out.println();
      return runWith(cluster, partitions, config, out);
    }
  }

  private static Summary runWith(KafkaCluster cluster, int partitions, PurchaseDemoConfig config, PrintStream out) {
    String run = UUID.randomUUID().toString().substring(0, 8);
    PurchaseLedger ledger = new PurchaseLedger(run);
    PurchaseConsumer consumers = new PurchaseConsumer(cluster, config, ledger).start();
    long start = System.nanoTime();
    Progress progress = new Progress(cluster, config.groupId(), out, start, ledger, partitions);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(cluster),
        new StringSerializer(), new ByteArraySerializer())) {
      awaitAssigned(consumers, partitions);
      produce(producer, config, run, ledger, progress);
      producer.flush();
      awaitConsumed(ledger, consumers, progress);
    } finally {
      consumers.close();
      try {
        progress.print(true);
      } finally {
        progress.close();
      }
    }
    Map<String, Long> perMember = consumers.consumedPerMember();
    Summary summary = ledger.summary(List.copyOf(perMember.values()));
    printSummary(summary, perMember, config, out);
    return summary;
  }

  private static void produce(KafkaProducer<String, byte[]> producer, PurchaseDemoConfig config,
      String run, PurchaseLedger ledger, Progress progress) {
    Random random = new Random();
    long[] userSeq = new long[config.users()];
    long start = System.nanoTime();
    long end = config.duration() == null ? Long.MAX_VALUE : start + config.duration().toNanos();
    for (long i = 0; i < config.count(); i++) {
      long now = System.nanoTime();
      if (now >= end) {
        break;
      }
      if (config.rate() > 0) {
        long due = start + (long) (i * (1e9 / config.rate()));
        if (due > now) {
          sleepNanos(due - now);
        }
      }
      int user = random.nextInt(config.users());
      String userId = String.format(Locale.ROOT, "user-%03d", user + 1);
      Purchase p = new Purchase(run + "-" + i, userId, ITEMS[random.nextInt(ITEMS.length)],
          BigDecimal.valueOf(100 + random.nextInt(9900)).movePointLeft(2).setScale(2, RoundingMode.UNNECESSARY),
          Instant.now(), run, ++userSeq[user]);
      byte[] value;
      try {
        value = JSON.writeValueAsBytes(p);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("cannot encode " + p, e);
      }
      // Sends are pipelined; a failed send ends the demo with the broker's reason.
      producer.send(new ProducerRecord<>(config.topic(), userId, value), (md, e) -> {
        if (e == null) {
          ledger.produced(p);
        } else {
          ledger.produceFailed(e);
        }
      });
      progress.maybePrint();
    }
  }

  private static void awaitAssigned(PurchaseConsumer consumers, int partitions) {
    try {
      consumers.awaitAssigned(partitions);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the consumer group formed", e);
    }
  }

  private static void awaitConsumed(PurchaseLedger ledger, PurchaseConsumer consumers, Progress progress) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (ledger.outstanding() > 0 && System.nanoTime() < deadline) {
      ledger.throwIfProduceFailed();
      consumers.throwIfFailed();
      progress.maybePrint();
      sleepNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    ledger.throwIfProduceFailed();
  }

  private static void printSummary(Summary s, Map<String, Long> perMember, PurchaseDemoConfig config, PrintStream out) {
    out.println();
    out.println("Summary");
    out.printf("  produced      %d%n", s.produced());
    String per = perMember.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue())
        .collect(Collectors.joining(", "));
    out.printf("  consumed      %d   (%s)%n", s.consumed(), per);
    out.printf("  missing       %d%n", s.missing());
    out.printf("  duplicates    %d%n", s.duplicates());
    out.printf("  out of order  %d%n", s.outOfOrder());
    if (s.ok()) {
      out.printf("OK: every purchase was consumed exactly once by group %s, in order per user.%n",
          config.groupId());
    } else {
      out.printf("FAILED: the group %s did not consume every purchase exactly once and in order.%n",
          config.groupId());
    }
  }

  static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static Map<String, Object> producerProps(KafkaCluster cluster) {
    // The cluster's connection and security settings, plus this producer's own.
    Map<String, Object> p = new HashMap<>(cluster.clientProperties());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return p;
  }

  private static int ensureTopic(Admin admin, PurchaseDemoConfig config, PrintStream out) {
    try {
      admin.createTopics(List.of(new NewTopic(config.topic(), config.partitions(), (short) -1)))
          .all().get(30, TimeUnit.SECONDS);
      return config.partitions();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + config.topic() + ": "
            + e.getCause().getMessage(), e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + config.topic(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not create topic " + config.topic() + " within 30 s", e);
    }
    try {
      int existing = admin.describeTopics(List.of(config.topic())).allTopicNames()
          .get(30, TimeUnit.SECONDS).get(config.topic()).partitions().size();
      if (existing != config.partitions()) {
        out.printf("  note       topic %s exists with %d partitions; using those%n", config.topic(), existing);
      }
      return existing;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot describe topic " + config.topic() + ": " + e, e);
    }
  }

  /** Prints a progress line about once a second: produced, consumed and the group's lag. */
  private static final class Progress implements AutoCloseable {
    private final KafkaCluster cluster;
    private final String groupId;
    private final PrintStream out;
    private final long start;
    private final PurchaseLedger ledger;
    private final int partitions;
    private long nextPrint;

    Progress(KafkaCluster cluster, String groupId, PrintStream out, long start, PurchaseLedger ledger, int partitions) {
      this.cluster = cluster;
      this.groupId = groupId;
      this.out = out;
      this.start = start;
      this.ledger = ledger;
      this.partitions = partitions;
      this.nextPrint = start + TimeUnit.SECONDS.toNanos(1);
    }

    void maybePrint() {
      if (System.nanoTime() >= nextPrint) {
        nextPrint += TimeUnit.SECONDS.toNanos(1);
        print(false);
      }
    }

    void print(boolean last) {
      String lag;
      try {
        List<GroupLag.PartitionLag> lags = GroupLag.read(cluster, groupId, Duration.ofSeconds(5));
        long[] byPartition = new long[partitions];
        lags.stream().filter(l -> l.partition().partition() < partitions)
            .forEach(l -> byPartition[l.partition().partition()] = l.lag());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < partitions; i++) {
          sb.append(i == 0 ? "" : " ").append('p').append(i).append('=').append(byPartition[i]);
        }
        lag = sb.toString();
      } catch (RuntimeException e) {
        lag = "unavailable (" + e.getMessage() + ")";
      }
      out.printf(Locale.ROOT, "[%5.1fs] produced %7d  consumed %7d  lag %s%s%n",
          (System.nanoTime() - start) / 1e9, ledger.producedCount(), ledger.consumedCount(), lag,
          last ? "  (final)" : "");
    }

    @Override
    public void close() {
      // The admin client is the cluster's; it closes with the cluster.
    }
  }
}
