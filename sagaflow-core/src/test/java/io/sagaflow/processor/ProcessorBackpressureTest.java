package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.committedOffset;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
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
import org.awaitility.Awaitility;
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
      // The bound is reached (50 started) and, while the handler stays blocked, never exceeded.
      Awaitility.await("in flight held at the bound").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10))
          .until(() -> p.status().inFlight() == 50 && started.get() == 50);
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
    CountDownLatch gate = new CountDownLatch(1);
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.UNORDERED)
        .withMaxInFlight(20)
        .withKafkaProperty(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, PolledCounter.class.getName());
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      gate.await(); // held until the test saw the limit reached: 2000 records would take far more
      running.decrementAndGet();
      done.incrementAndGet();
    }).start()) {
      await("the limit reached", () -> running.get() == 20);
      Awaitility.await("the limit held").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
          .until(() -> running.get() == 20);
      gate.countDown();
      await("everything processed", () -> done.get() == 2000);
      assertThat(maxRunning.get()).as("most handlers running at once").isEqualTo(20);
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
      // Partition 0's queued records hold at most a fair share of the 20 slots while partition 1
      // has records waiting, never all: so partition 1 flows while partition 0 is blocked.
      long[] maxInFlight = new long[1];
      Awaitility.await("partition 1 flows while partition 0 is blocked").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(5)).until(() -> {
            maxInFlight[0] = Math.max(maxInFlight[0], p.status().inFlight());
            return coldDone.get() == 300;
          });
      // With partition 1 drained, partition 0 takes the free room: the bound is reached, never passed.
      Awaitility.await("the room used by partition 0").atMost(Duration.ofSeconds(30))
          .until(() -> p.status().inFlight() == 20);
      Awaitility.await("the bound held").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
          .until(() -> p.status().inFlight() == 20);
      assertThat(maxInFlight[0]).as("most in flight seen").isLessThanOrEqualTo(20);
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
      // Where the poll thread is, sampled 100 times: a loop that waits for a completion is parked
      // (it wakes for a moment every 20 ms); a busy loop is never parked. A thread that waits for
      // a CPU on a loaded machine is not parked either, so load can only make a busy loop look
      // worse, and the bound leaves a waiting loop room for that.
      int[] samples = new int[2]; // {taken, parked}
      Awaitility.await("100 samples").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
          .until(() -> {
            samples[0]++;
            if (parkedForCompletions(poll)) {
              samples[1]++;
            }
            return samples[0] == 100;
          });
      assertThat(samples[1]).as("samples (of 100) that found the poll thread parked").isGreaterThanOrEqualTo(25);
      assertThat(p.status().inFlight()).as("still full: nothing finished while sampling").isEqualTo(10);
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
      // Without demand: the prefetch is filled, never passed, and nothing is delivered.
      Awaitility.await("the prefetch filled and held").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(30))
          .until(() -> p.status().inFlight() == 16 && received.isEmpty());
      subscription.get().request(5);
      await("five delivered", () -> received.size() == 5);
      Awaitility.await("nothing beyond the demand").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10))
          .until(() -> received.size() == 5);
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

  /** Whether {@code t} is parked in the poll loop's wait for completions. */
  private static boolean parkedForCompletions(Thread t) {
    Thread.State state = t.getState();
    if (state != Thread.State.TIMED_WAITING && state != Thread.State.WAITING) {
      return false;
    }
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getMethodName().equals("parkForCompletions")) {
        return true;
      }
    }
    return false;
  }
}
