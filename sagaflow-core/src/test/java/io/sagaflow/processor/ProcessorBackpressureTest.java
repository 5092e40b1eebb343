package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.committedOffset;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(LeakCheck.class)
class ProcessorBackpressureTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static void fill(String topic, int partitions, int perPartition, int valueSize) {
    String value = "x".repeat(valueSize);
    for (int p = 0; p < partitions; p++) {
      List<String[]> kvs = new ArrayList<>();
      for (int i = 0; i < perPartition; i++) {
        kvs.add(new String[] {"k" + i, value});
      }
      KafkaTestSupport.produce(kafka, topic, p, kvs);
    }
  }

  @Test
  void blockedHandlerKeepsRecordsUnderTheBoundAndPausesPartitions() throws Exception {
    String topic = unique("bp");
    kafka.createTopic(topic, 4);
    fill(topic, 4, 500, 10);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.UNORDERED)
        .withMaxInFlight(50);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      started.incrementAndGet();
      release.await();
    }).start()) {
      await("all four partitions paused", () -> p.status().assignedPartitions().size() == 4
          && p.status().pausedPartitions().size() == 4);
      long maxSeen = 0;
      for (int i = 0; i < 50; i++) { // sample while the handler stays blocked
        maxSeen = Math.max(maxSeen, p.status().inFlight());
        Thread.sleep(10);
      }
      assertThat(maxSeen).isLessThanOrEqualTo(50);
      assertThat(started.get()).isEqualTo(50);
      release.countDown();
      await("everything processed", () -> started.get() == 2000);
      await("resumed", () -> p.status().pausedPartitions().isEmpty());
    }
  }

  /** Counts the records every poll returned, per topic. */
  public static final class PolledCounter implements ConsumerInterceptor<byte[], byte[]> {
    static final Map<String, AtomicLong> POLLED = new ConcurrentHashMap<>();

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
      for (ConsumerRecord<byte[], byte[]> r : records) {
        POLLED.computeIfAbsent(r.topic(), t -> new AtomicLong()).incrementAndGet();
      }
      return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
  }

  @Test
  void recordsOverTheLimitWaitInTheBacklogAndAreFetchedOnce() throws Exception {
    String topic = unique("backlog");
    kafka.createTopic(topic, 4);
    fill(topic, 4, 500, 10);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.UNORDERED)
        .withMaxInFlight(20)
        .withKafkaProperty(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, PolledCounter.class.getName());
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      Thread.sleep(1); // long enough for the limit to be reached on every poll
      running.decrementAndGet();
      done.incrementAndGet();
    }).start()) {
      await("everything processed", () -> done.get() == 2000);
      assertThat(maxRunning.get()).isLessThanOrEqualTo(20);
      // Records over the limit were kept, not rewound and fetched again.
      assertThat(PolledCounter.POLLED.get(topic).get()).isEqualTo(2000);
    }
  }

  @Test
  void aBlockedKeyHoldingTheRoomDoesNotStarveOtherPartitions() throws Exception {
    String topic = unique("fair");
    kafka.createTopic(topic, 2);
    List<String[]> hot = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      hot.add(new String[] {"hot", "v"});
    }
    KafkaTestSupport.produce(kafka, topic, 0, hot); // one key: its records queue behind each other
    List<String[]> cold = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      cold.add(new String[] {"k" + i, "v"});
    }
    KafkaTestSupport.produce(kafka, topic, 1, cold);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger coldDone = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.KEY)
        .withMaxInFlight(20);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.partition() == 0) {
        release.await();
      } else {
        coldDone.incrementAndGet();
      }
    }).start()) {
      // Partition 0's queued records may hold at most a fair share of the 20 slots, never all.
      await("partition 1 flows while partition 0 is blocked", () -> coldDone.get() == 300);
      assertThat(p.status().inFlight()).isBetween(1L, 20L);
      release.countDown();
    }
  }

  @ParameterizedTest
  @EnumSource(value = CommitStrategy.class, names = {"PERIODIC_ASYNC", "SYNC_PER_BATCH", "NONE"})
  void aFullProcessorWaitsWithoutSpinning(CommitStrategy strategy) throws Exception {
    String topic = unique("spin");
    kafka.createTopic(topic, 2);
    fill(topic, 2, 50, 10);
    CountDownLatch release = new CountDownLatch(1);
    String group = unique("g");
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.UNORDERED)
        .withCommitStrategy(strategy)
        .withMaxInFlight(10);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> release.await()).start()) {
      await("full and paused", () -> p.status().inFlight() == 10
          && p.status().pausedPartitions().size() == 2);
      Thread poll = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("sagaflow-poll-" + group + "-0")).findFirst().orElseThrow();
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long cpu0 = mx.getThreadCpuTime(poll.threadId());
      long wall0 = System.nanoTime();
      Thread.sleep(500); // the span over which CPU use is measured, not a synchronisation
      long cpu = mx.getThreadCpuTime(poll.threadId()) - cpu0;
      long wall = System.nanoTime() - wall0;
      // Parked until a completion: a few wake-ups per 20 ms; a busy loop would use the whole span.
      assertThat(cpu).isLessThan(wall / 4);
      release.countDown();
    }
  }

  @Test
  void bufferedBytesStayUnderTheByteBound() throws Exception {
    String topic = unique("bytes");
    kafka.createTopic(topic, 2);
    fill(topic, 2, 200, 1000); // ~1 KB per record
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.UNORDERED)
        .withMaxBufferedBytes(20_000);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      started.incrementAndGet();
      release.await();
    }).start()) {
      await("paused on bytes", () -> p.status().assignedPartitions().size() == 2
          && p.status().pausedPartitions().size() == 2);
      assertThat(p.status().bufferedBytes()).isLessThanOrEqualTo(20_000).isGreaterThan(15_000);
      assertThat(started.get()).isLessThanOrEqualTo(20);
      release.countDown();
      await("everything processed", () -> started.get() == 400);
    }
  }

  @Test
  void perPartitionLimitPausesOnlyThatPartition() throws Exception {
    String topic = unique("perpart");
    kafka.createTopic(topic, 2);
    fill(topic, 1, 100, 10); // partition 0 only; partition 1 gets records later
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger p1Done = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.UNORDERED)
        .withMaxInFlightPerPartition(10);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.partition() == 0) {
        release.await();
      } else {
        p1Done.incrementAndGet();
      }
    }).start()) {
      TopicPartition p0 = new TopicPartition(topic, 0);
      await("partition 0 paused", () -> p.status().pausedPartitions().contains(p0));
      assertThat(p.status().inFlight()).isEqualTo(10);
      List<String[]> kvs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        kvs.add(new String[] {"k", "v"});
      }
      KafkaTestSupport.produce(kafka, topic, 1, kvs);
      await("partition 1 keeps flowing", () -> p1Done.get() == 30);
      release.countDown();
    }
  }

  @Test
  void publisherWithoutDemandPausesAndBuffersAtMostThePrefetch() throws Exception {
    String topic = unique("pub");
    kafka.createTopic(topic, 3);
    fill(topic, 3, 100, 10);
    String group = unique("g");
    ProcessorOptions<String, String> opts = options(kafka, group, topic).withPublisherPrefetch(16);
    List<ProcessorRecord<String, String>> received = new CopyOnWriteArrayList<>();
    AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    AtomicLong completed = new AtomicLong();
    try (Processor<String, String> p = Processor.forPublisher(opts)) {
      p.publisher().subscribe(new Flow.Subscriber<>() {
        @Override
        public void onSubscribe(Flow.Subscription s) {
          subscription.set(s); // no request yet: no demand
        }

        @Override
        public void onNext(ProcessorRecord<String, String> item) {
          received.add(item);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onComplete() {
          completed.incrementAndGet();
        }
      });
      p.start();
      await("all partitions paused with no demand", () -> p.status().assignedPartitions().size() == 3
          && p.status().pausedPartitions().size() == 3);
      for (int i = 0; i < 20; i++) {
        assertThat(p.status().inFlight()).isLessThanOrEqualTo(16);
        Thread.sleep(10);
      }
      assertThat(received).isEmpty();
      subscription.get().request(5);
      await("five delivered", () -> received.size() == 5);
      Thread.sleep(200); // nothing beyond the demand may arrive
      assertThat(received).hasSize(5);
      received.forEach(ProcessorRecord::ack);
      subscription.get().request(Long.MAX_VALUE);
      await("all delivered", () -> received.size() == 300);
      received.forEach(ProcessorRecord::ack);
      await("all committed", () -> {
        for (int i = 0; i < 3; i++) {
          if (committedOffset(kafka, group, new TopicPartition(topic, i)) != 100) {
            return false;
          }
        }
        return true;
      });
      p.close(Duration.ofSeconds(10));
      await("onComplete", () -> completed.get() == 1);
    }
  }

  @Test
  void userPausesAreKeptApartFromTheProcessorsOwn() throws Exception {
    String topic = unique("userpause");
    kafka.createTopic(topic, 2);
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    AtomicInteger seen0 = new AtomicInteger();
    AtomicInteger seen1 = new AtomicInteger();
    try (Processor<String, String> p = Processor.forRecords(options(kafka, unique("g"), topic), r -> {
      (r.partition() == 0 ? seen0 : seen1).incrementAndGet();
    }).start()) {
      await("assigned", () -> p.status().assignedPartitions().size() == 2);
      p.pause(List.of(p0));
      await("user pause visible", () -> p.status().userPausedPartitions().contains(p0)
          && p.status().pausedPartitions().contains(p0));
      fill(topic, 2, 20, 10);
      await("partition 1 flows", () -> seen1.get() == 20);
      assertThat(seen0.get()).isZero();
      assertThat(p.status().pausedPartitions()).doesNotContain(p1);
      p.resume(List.of(p0));
      await("partition 0 flows after resume", () -> seen0.get() == 20);
      assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.RUNNING);
      assertThat(p.status().lastError()).isEmpty();
    }
  }
}
