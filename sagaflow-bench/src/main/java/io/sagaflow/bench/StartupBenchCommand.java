package io.sagaflow.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import io.sagaflow.embedded.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Embedded broker start-up: from {@code EmbeddedKafka.start()} to the first acknowledged produce
 * (to a topic created by that produce), in a fresh JVM (cold) and then again in the same JVM
 * (warm), with the heap used after a GC while the broker runs.
 */
@Command(name = "startup", mixinStandardHelpOptions = true,
    description = "Embedded Kafka start-up time to the first acknowledged produce.")
final class StartupBenchCommand implements Callable<Integer> {
  @Option(names = "--runs", defaultValue = "5", description = "Runs; the median is reported (default ${DEFAULT-VALUE})")
  int runs;

  @Override
  public Integer call() throws Exception {
    List<Double> ready = new ArrayList<>();
    List<Double> firstProduce = new ArrayList<>();
    List<Long> heap = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
        long t1 = System.nanoTime();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
          producer.send(new ProducerRecord<>("startup-" + i, "k", "v")).get();
        }
        long t2 = System.nanoTime();
        System.gc();
        heap.add(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20);
        ready.add((t1 - t0) / 1e9);
        firstProduce.add((t2 - t0) / 1e9);
      }
    }
    // The first run pays for class loading and JIT, as a test suite or the demo does once; the
    // later runs show what each further broker in the same JVM costs.
    System.out.printf(Locale.ROOT, "RESULT system=embedded-kafka scenario=startup-cold ready_s=%.2f first_produce_s=%.2f heap_mb=%d%n",
        ready.get(0), firstProduce.get(0), heap.get(0));
    if (runs > 1) {
      System.out.printf(Locale.ROOT, "RESULT system=embedded-kafka scenario=startup-warm runs=%d ready_s=%.2f first_produce_s=%.2f heap_mb=%d%n",
          runs - 1, median(ready.subList(1, runs)), median(firstProduce.subList(1, runs)),
          heap.subList(1, runs).stream().sorted().toList().get((runs - 1) / 2));
    }
    return 0;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
