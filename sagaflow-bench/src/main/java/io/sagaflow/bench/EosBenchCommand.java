package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
 * being ready to the last record visible) and then counts duplicates and losses.
 */
@Command(name = "eos", mixinStandardHelpOptions = true,
    description = "Exactly-once consume-transform-produce copy, side by side.")
final class EosBenchCommand implements Callable<Integer> {
  private static final String INPUT = "bench-eos-in";

  @Option(names = "--systems", split = ",", defaultValue = "kafka-streams-eos",
      description = "Systems to run (default ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--records", defaultValue = "500000", description = "Records to copy (default ${DEFAULT-VALUE})")
  int records;

  @Option(names = "--commit-interval-ms", defaultValue = "100", description = "Transaction commit interval (default ${DEFAULT-VALUE})")
  long commitIntervalMs;

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
    String input = INPUT + "-" + System.currentTimeMillis();
    if (kafka != null) {
      kafka.createTopic(input, 6);
    }
    List<String> expected = produce(bootstrap, input);
    for (String system : systems) {
      String output = "bench-eos-out-" + system + "-" + System.currentTimeMillis();
      if (kafka != null) {
        kafka.createTopic(output, 6);
      }
      try (ChildJvm child = ChildJvm.start(EosChildMain.class, system, bootstrap, input, output,
          Long.toString(commitIntervalMs))) {
        child.awaitLine("READY"::equals, Duration.ofSeconds(60));
        long start = System.nanoTime();
        long seen = awaitCopied(bootstrap, output, records, Duration.ofSeconds(timeoutSeconds));
        double seconds = (System.nanoTime() - start) / 1e9;
        child.terminate(Duration.ofSeconds(30));
        DeliveryCheck.Report r = DeliveryCheck.read(bootstrap, output, expected, Duration.ofSeconds(3));
        System.out.printf(Locale.ROOT,
            "RESULT system=%s scenario=copy records=%d seconds=%.2f rate=%.0f duplicates=%d lost=%d%n",
            system, seen, seconds, seen / seconds, r.duplicates(), r.lost());
      }
    }
    return 0;
  }

  /** Keys from 10,000; each value {@code key:seq} padded to 100 bytes. */
  private List<String> produce(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    List<String> ids = new ArrayList<>(records);
    int[] seq = new int[10_000];
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
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
            v.toString().getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
    return ids;
  }

  /** Counts committed records in {@code topic} until {@code target} or the timeout. */
  private static long awaitCopied(String bootstrap, String topic, int target, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    long count = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (count < target && System.nanoTime() < deadline) {
        count += c.poll(Duration.ofMillis(50)).count();
      }
    }
    return count;
  }
}
