package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class ProcessorOrderingTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void keyOrderingNeverOverlapsWithinAKeyAndRunsKeysOfOnePartitionInParallel() throws Exception {
    String topic = unique("key-order");
    kafka.createTopic(topic, 2);
    int keys = 20;
    int perKey = 15;
    for (int p = 0; p < 2; p++) {
      List<String[]> kvs = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        for (int k = 0; k < keys; k++) {
          kvs.add(new String[] {"p" + p + "-k" + k, Integer.toString(i)});
        }
      }
      KafkaTestSupport.produce(kafka, topic, p, kvs);
    }
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    Map<Integer, AtomicInteger> concurrentInPartition = new ConcurrentHashMap<>();
    Map<Integer, Integer> maxConcurrentInPartition = new ConcurrentHashMap<>();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic).withOrdering(Ordering.KEY);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      AtomicInteger r1 = running.computeIfAbsent(r.key(), k -> new AtomicInteger());
      if (r1.incrementAndGet() != 1) {
        overlaps.incrementAndGet();
      }
      int c = concurrentInPartition.computeIfAbsent(r.partition(), x -> new AtomicInteger()).incrementAndGet();
      maxConcurrentInPartition.merge(r.partition(), c, Math::max);
      seen.computeIfAbsent(r.key(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(Integer.parseInt(r.value()));
      Thread.sleep(5); // part of the scenario: handlers take time, so records of a key could overlap
      concurrentInPartition.get(r.partition()).decrementAndGet();
      r1.decrementAndGet();
      done.incrementAndGet();
    }).start()) {
      await("all records processed", () -> done.get() == 2 * keys * perKey);
    }
    assertThat(overlaps.get()).as("records of one key running at the same time").isZero();
    for (List<Integer> values : seen.values()) {
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        expected.add(i);
      }
      assertThat(values).as("per-key order").containsExactlyElementsOf(expected);
    }
    assertThat(maxConcurrentInPartition.values())
        .as("several keys of one partition ran at once")
        .allSatisfy(max -> assertThat(max).isGreaterThan(1));
  }

  @Test
  void blockingHandlersRunEveryReadyKeyAtOnceAndKeepKeyOrder() throws Exception {
    String topic = unique("blocking");
    kafka.createTopic(topic, 1);
    int keys = 40;
    int perKey = 3;
    List<String[]> kvs = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        kvs.add(new String[] {"k" + k, Integer.toString(i)});
      }
    }
    KafkaTestSupport.produce(kafka, topic, 0, kvs);
    CountDownLatch allFirstsStarted = new CountDownLatch(keys);
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger timedOut = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.KEY)
        .withBlockingHandlers(true);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      AtomicInteger r1 = running.computeIfAbsent(r.key(), k -> new AtomicInteger());
      if (r1.incrementAndGet() != 1) {
        overlaps.incrementAndGet();
      }
      seen.computeIfAbsent(r.key(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(Integer.parseInt(r.value()));
      if (r.value().equals("0")) {
        // Every key's first record waits for all the others: only possible if they all run at once.
        allFirstsStarted.countDown();
        if (!allFirstsStarted.await(20, TimeUnit.SECONDS)) {
          timedOut.incrementAndGet();
        }
      }
      r1.decrementAndGet();
      done.incrementAndGet();
    }).start()) {
      await("all records processed", () -> done.get() == keys * perKey);
    }
    assertThat(timedOut.get()).as("first records that waited in vain for the other keys").isZero();
    assertThat(overlaps.get()).as("records of one key running at the same time").isZero();
    for (List<Integer> values : seen.values()) {
      assertThat(values).as("per-key order").containsExactly(0, 1, 2);
    }
  }

  @Test
  void partitionOrderingRunsOneRecordAtATimePerPartitionInOffsetOrder() throws Exception {
    String topic = unique("partition-order");
    kafka.createTopic(topic, 3);
    int perPartition = 60;
    for (int p = 0; p < 3; p++) {
      List<String[]> kvs = new ArrayList<>();
      for (int i = 0; i < perPartition; i++) {
        kvs.add(new String[] {"k" + (i % 7), Integer.toString(i)});
      }
      KafkaTestSupport.produce(kafka, topic, p, kvs);
    }
    Map<Integer, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<Integer, List<Long>> offsets = new ConcurrentHashMap<>();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger partitionsAtOnce = new AtomicInteger();
    AtomicInteger maxPartitionsAtOnce = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(3 * perPartition);
    String group = unique("g");
    ProcessorOptions<String, String> opts = options(kafka, group, topic).withOrdering(Ordering.PARTITION);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (running.computeIfAbsent(r.partition(), k -> new AtomicInteger()).incrementAndGet() != 1) {
        overlaps.incrementAndGet();
      }
      maxPartitionsAtOnce.accumulateAndGet(partitionsAtOnce.incrementAndGet(), Math::max);
      offsets.computeIfAbsent(r.partition(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(r.offset());
      Thread.sleep(2); // part of the scenario: handlers take time, so partitions could overlap
      partitionsAtOnce.decrementAndGet();
      running.get(r.partition()).decrementAndGet();
      all.countDown();
    }).start()) {
      assertThat(all.await(60, TimeUnit.SECONDS)).isTrue();
      await("everything committed", () -> {
        for (int i = 0; i < 3; i++) {
          if (KafkaTestSupport.committedOffset(kafka, group, new TopicPartition(topic, i)) != perPartition) {
            return false;
          }
        }
        return true;
      });
    }
    assertThat(overlaps.get()).isZero();
    for (List<Long> o : offsets.values()) {
      assertThat(o).isSorted().hasSize(perPartition);
    }
    assertThat(maxPartitionsAtOnce.get()).as("partitions run in parallel").isGreaterThan(1);
  }
}
