package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.committed;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(LeakCheck.class)
class ProcessorRebalanceTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @ParameterizedTest(name = "group.protocol={0}")
  @ValueSource(strings = {"classic", "consumer"})
  void processorsJoiningAndLeavingLoseNothingStallNothingAndNeverCommitEarly(String protocol) throws Exception {
    int partitions = 6;
    int total = 3000;
    String topic = unique("rebalance-" + protocol);
    kafka.createTopic(topic, partitions);
    String group = unique("g-" + protocol);
    Set<String> finished = ConcurrentHashMap.newKeySet();
    AtomicInteger handled = new AtomicInteger();
    Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
    AtomicInteger keyOverlaps = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.KEY)
        .withMaxInFlight(200)
        .withRebalanceTimeout(Duration.ofSeconds(10))
        .withKafkaProperty("group.protocol", protocol);
    RecordHandler<String, String> handler = r -> {
      AtomicInteger running = runningPerKey.computeIfAbsent(r.partition() + "/" + r.key(), k -> new AtomicInteger());
      if (running.incrementAndGet() > 1) {
        keyOverlaps.incrementAndGet(); // only possible across owners when a revoke times out
      }
      Thread.sleep(1); // part of the scenario: handlers take time, so revokes find work in flight
      running.decrementAndGet();
      finished.add(r.partition() + "@" + r.offset());
      handled.incrementAndGet();
    };

    AtomicBoolean checking = new AtomicBoolean(true);
    List<String> violations = new CopyOnWriteArrayList<>();
    Thread checker = Thread.ofPlatform().name("commit-checker").start(() -> {
      while (checking.get()) {
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed(kafka, group).entrySet()) {
          int p = e.getKey().partition();
          for (long o = 0; o < e.getValue().offset(); o++) {
            if (!finished.contains(p + "@" + o)) {
              violations.add("committed " + e.getKey() + " at " + e.getValue().offset() + " before " + o + " finished");
              break;
            }
          }
        }
        try {
          Thread.sleep(100); // the sampling interval of this checker, not a wait for anything
        } catch (InterruptedException ex) {
          return;
        }
      }
    });

    Thread producer = Thread.ofPlatform().name("test-producer").start(() -> {
      try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer(kafka)) {
        for (int i = 0; i < total; i++) {
          p.send(new ProducerRecord<>(topic, ("k" + (i % 60)).getBytes(StandardCharsets.UTF_8),
              Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
          if (i % 100 == 99) {
            p.flush();
            Thread.sleep(300); // part of the scenario: input arrives in waves while members come and go
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });

    List<Processor<String, String>> all = new ArrayList<>();
    try {
      Processor<String, String> p1 = Processor.forRecords(opts, handler).start();
      all.add(p1);
      await("p1 working", () -> handled.get() > 100);
      Processor<String, String> p2 = Processor.forRecords(opts, handler).start();
      all.add(p2);
      await("p2 assigned", () -> !p2.status().assignedPartitions().isEmpty());
      Processor<String, String> p3 = Processor.forRecords(opts.withConsumers(2), handler).start();
      all.add(p3);
      await("p3 assigned", () -> !p3.status().assignedPartitions().isEmpty());
      int before = handled.get();
      await("still flowing", () -> handled.get() > Math.min(before + 100, total - 1));
      p1.close();
      int afterP1 = handled.get();
      await("flowing after p1 left", () -> handled.get() > Math.min(afterP1 + 100, total - 1));
      p2.close();
      System.err.println("TEST: p2 closed at handled=" + handled.get() + " finished=" + finished.size());
      producer.join();
      Map<TopicPartition, Long> end = KafkaTestSupport.endOffsets(kafka, topic, partitions);
      await("p3 drains everything and commits the log end (no stall)", Duration.ofSeconds(90), () -> {
        Map<TopicPartition, OffsetAndMetadata> c = committed(kafka, group);
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
          OffsetAndMetadata om = c.get(e.getKey());
          if (om == null || om.offset() != e.getValue()) {
            return false;
          }
        }
        return true;
      });
      await("p3 owns every partition", () -> p3.status().assignedPartitions().size() == partitions);
      // Records produced after the last rebalance still flow (no stall after rebalances).
      KafkaTestSupport.produce(kafka, topic, 0, List.<String[]>of(new String[] {"late", "late"}));
      await("late record processed", () -> finished.contains("0@" + end.get(new TopicPartition(topic, 0))));
    } finally {
      for (Processor<String, String> p : all) {
        p.close();
      }
      checking.set(false);
      checker.join();
      producer.join();
    }
    long produced = KafkaTestSupport.endOffsets(kafka, topic, partitions).values().stream().mapToLong(Long::longValue).sum();
    assertThat(produced).isEqualTo(total + 1);
    assertThat(finished).as("every record processed at least once").hasSize(total + 1);
    assertThat(violations).as("offsets committed before their records finished").isEmpty();
    assertThat(keyOverlaps.get()).as("no key ran on two owners at once (revokes drained in time)").isZero();
  }

  @org.junit.jupiter.api.Test
  void aHandlerStillRunningAfterTheRevokeBoundNeverCommits() throws Exception {
    String topic = unique("stale");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, List.<String[]>of(
        new String[] {"a", "0"}, new String[] {"b", "1"}, new String[] {"c", "2"}));
    String group = unique("g");
    java.util.concurrent.CountDownLatch firstCallRunning = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch releaseFirst = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch secondCallRunning = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch releaseSecond = new java.util.concurrent.CountDownLatch(1);
    AtomicInteger callsForZero = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.KEY)
        .withRebalanceTimeout(Duration.ofMillis(300))
        .withKafkaProperty("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor");
    RecordHandler<String, String> handler = r -> {
      if (r.offset() == 0) {
        if (callsForZero.incrementAndGet() == 1) {
          firstCallRunning.countDown();
          releaseFirst.await();
        } else {
          secondCallRunning.countDown();
          releaseSecond.await();
        }
      }
    };
    try (Processor<String, String> p1 = Processor.forRecords(opts, handler).start()) {
      assertThat(firstCallRunning.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      await("offsets 1 and 2 recorded as finished", () -> {
        OffsetAndMetadata om = committed(kafka, group).get(tp);
        return om != null && om.offset() == 0 && !om.metadata().isEmpty();
      });
      try (Processor<String, String> p2 = Processor.forRecords(opts, handler).start()) {
        // The eager revoke gives up on offset 0 after 300 ms; the new owner (either processor) runs it again.
        assertThat(secondCallRunning.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        releaseFirst.countDown(); // the stale run finishes now
        // For several commit intervals (a stale completion would be committed by then) it stays at 0.
        Awaitility.await("no stale commit").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10))
            .until(() -> committed(kafka, group).get(tp).offset() == 0);
        releaseSecond.countDown();
        await("the current owner commits", () -> committed(kafka, group).get(tp).offset() == 3);
      }
    }
  }
}
