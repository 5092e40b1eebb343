package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.committed;
import static io.sagaflow.processor.KafkaTestSupport.committedOffset;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.internal.OffsetMetadataCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class ProcessorOffsetsTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static List<String[]> records(int n, String keyPrefix) {
    List<String[]> kvs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      kvs.add(new String[] {keyPrefix + i, "v" + i});
    }
    return kvs;
  }

  @Test
  void finishedRecordsAboveAGapAreNotReprocessedAfterRestart() throws Exception {
    String topic = unique("gap");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, records(20, "k")); // distinct keys: all run at once
    String group = unique("g");
    CountDownLatch never = new CountDownLatch(1);
    Set<Long> firstRun = ConcurrentHashMap.newKeySet();
    ProcessorOptions<String, String> opts = options(kafka, group, topic).withOrdering(Ordering.KEY);
    Processor<String, String> first = Processor.forRecords(opts, r -> {
      if (r.offset() == 3) {
        never.await(); // blocks until interrupted by close after its timeout
      }
      firstRun.add(r.offset());
    }).start();
    try {
      await("commit with metadata for the finished offsets above 3", () -> {
        OffsetAndMetadata om = committed(kafka, group).get(tp);
        if (om == null || om.offset() != 3) {
          return false;
        }
        return OffsetMetadataCodec.decode(om.metadata()) instanceof OffsetMetadataCodec.Ours o
            && java.util.Arrays.equals(o.finishedRanges(), new long[] {4, 20});
      });
    } finally {
      first.close(Duration.ofMillis(500));
    }
    assertThat(firstRun).hasSize(19).doesNotContain(3L);
    assertThat(committedOffset(kafka, group, tp)).isEqualTo(3);

    KafkaTestSupport.produce(kafka, topic, 0, records(2, "new")); // offsets 20, 21
    List<Long> secondRun = new CopyOnWriteArrayList<>();
    try (Processor<String, String> second = Processor.forRecords(opts, r -> secondRun.add(r.offset())).start()) {
      await("second run caught up", () -> committedOffset(kafka, group, tp) == 22);
    }
    assertThat(secondRun).containsExactlyInAnyOrder(3L, 20L, 21L);
  }

  @Test
  void foreignCommitMetadataIsIgnoredSafely() throws Exception {
    String topic = unique("foreign");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, records(10, "k"));
    String group = unique("g");
    // A commit that looks like Parallel Consumer's (base64 of magic byte + payload).
    try (var admin = org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
      admin.alterConsumerGroupOffsets(group, java.util.Map.of(tp, new OffsetAndMetadata(4,
          java.util.Base64.getEncoder().encodeToString(new byte[] {'b', 1, 2, 3, 4, 5}))))
          .all().get(30, TimeUnit.SECONDS);
    }
    List<Long> seen = new CopyOnWriteArrayList<>();
    try (Processor<String, String> p = Processor.forRecords(options(kafka, group, topic), r -> seen.add(r.offset())).start()) {
      await("caught up", () -> committedOffset(kafka, group, tp) == 10);
    }
    assertThat(seen).containsExactlyInAnyOrder(4L, 5L, 6L, 7L, 8L, 9L);
  }

  @Test
  void gracefulCloseCommitsAllFinishedWorkAndNothingUnfinished() throws Exception {
    String topic = unique("close");
    kafka.createTopic(topic, 2);
    for (int p = 0; p < 2; p++) {
      KafkaTestSupport.produce(kafka, topic, p, records(200, "k"));
    }
    String group = unique("g");
    Set<String> finished = ConcurrentHashMap.newKeySet();
    AtomicInteger started = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.PARTITION)
        .withMaxInFlight(6)
        .withCommitInterval(Duration.ofSeconds(30)); // only the close commits
    Processor<String, String> p = Processor.forRecords(opts, r -> {
      started.incrementAndGet();
      Thread.sleep(50); // part of the scenario: records are still running when the close starts
      finished.add(r.partition() + "@" + r.offset());
    }).start();
    await("some records running", () -> started.get() >= 5);
    p.close(Duration.ofSeconds(30));
    assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.CLOSED);
    assertThat(finished.size()).isLessThan(400);
    for (int i = 0; i < 2; i++) {
      TopicPartition tp = new TopicPartition(topic, i);
      long c = Math.max(0, committedOffset(kafka, group, tp));
      for (long o = 0; o < 200; o++) {
        boolean done = finished.contains(i + "@" + o);
        if (o < c) {
          assertThat(done).as("committed offset %s of %s was finished", o, tp).isTrue();
        } else {
          assertThat(done).as("finished offset %s of %s was committed", o, tp).isFalse();
        }
      }
    }
  }

  @Test
  void closeAfterTimeoutDoesNotCommitTheStuckRecord() throws Exception {
    String topic = unique("stuck");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, records(5, "same-key-"));
    String group = unique("g");
    CountDownLatch stuck = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, group, topic).withOrdering(Ordering.PARTITION);
    Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.offset() == 2) {
        stuck.countDown();
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException e) {
          interrupted.incrementAndGet();
          throw e;
        }
      }
    }).start();
    assertThat(stuck.await(60, TimeUnit.SECONDS)).isTrue();
    p.close(Duration.ofMillis(300));
    assertThat(interrupted.get()).isEqualTo(1);
    assertThat(committedOffset(kafka, group, tp)).isEqualTo(2);
  }

  @Test
  void manualAckCommitsOnlyAckedRecords() throws Exception {
    String topic = unique("manual");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, records(10, "k"));
    String group = unique("g");
    List<ProcessorRecord<String, String>> unacked = new CopyOnWriteArrayList<>();
    AtomicInteger handled = new AtomicInteger();
    ProcessorOptions<String, String> opts = options(kafka, group, topic).withCommitStrategy(CommitStrategy.MANUAL);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.offset() % 2 == 0 && r.offset() != 0) {
        r.ack();
      } else {
        unacked.add(r);
      }
      handled.incrementAndGet();
    }).start()) {
      await("handled", () -> handled.get() == 10);
      await("even offsets recorded as finished above 0", () -> {
        OffsetAndMetadata om = committed(kafka, group).get(tp);
        return om != null && om.offset() == 0
            && OffsetMetadataCodec.decode(om.metadata()) instanceof OffsetMetadataCodec.Ours o
            && java.util.Arrays.equals(o.finishedRanges(), new long[] {2, 3, 4, 5, 6, 7, 8, 9});
      });
      assertThat(p.status().inFlight()).isEqualTo(6);
      Thread acker = Thread.ofVirtual().start(() -> unacked.forEach(ProcessorRecord::ack));
      acker.join();
      await("all acked and committed", () -> committedOffset(kafka, group, tp) == 10);
      assertThat(p.status().inFlight()).isZero();
    }
  }

  @Test
  void syncPerBatchAndNoneStrategies() throws Exception {
    String topic = unique("strategies");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, records(30, "k"));
    String syncGroup = unique("g");
    AtomicInteger n = new AtomicInteger();
    try (Processor<String, String> p = Processor.forRecords(
        options(kafka, syncGroup, topic).withCommitStrategy(CommitStrategy.SYNC_PER_BATCH),
        r -> n.incrementAndGet()).start()) {
      await("sync commits", () -> committedOffset(kafka, syncGroup, tp) == 30);
      await("status shows the commit", () -> Long.valueOf(30).equals(p.status().committedOffsets().get(tp)));
    }
    String noneGroup = unique("g");
    AtomicInteger m = new AtomicInteger();
    try (Processor<String, String> p = Processor.forRecords(
        options(kafka, noneGroup, topic).withCommitStrategy(CommitStrategy.NONE),
        r -> m.incrementAndGet()).start()) {
      await("processed", () -> m.get() == 30);
    }
    assertThat(committed(kafka, noneGroup)).isEmpty();
  }

  @Test
  void whenTheMetadataCapOverflowsThePartitionStopsTakingRecordsUntilTheGapCloses() throws Exception {
    String topic = unique("cap");
    kafka.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaTestSupport.produce(kafka, topic, 0, records(100, "k")); // distinct keys: all in parallel
    String group = unique("g");
    CountDownLatch release = new CountDownLatch(1);
    Set<Long> handled = ConcurrentHashMap.newKeySet();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.KEY)
        .withOffsetMetadataMaxChars(40);
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      handled.add(r.offset());
      if (r.offset() < 100 && r.offset() % 2 == 0) {
        release.await(); // even offsets stay unfinished: 50 gaps, far more than 40 chars can hold
      }
    }).start()) {
      await("all first records started", () -> handled.size() == 100);
      await("partition paused for the metadata cap", () -> p.status().pausedPartitions().contains(tp));
      OffsetAndMetadata om = committed(kafka, group).get(tp);
      assertThat(om.offset()).isZero();
      assertThat(om.metadata().length()).isLessThanOrEqualTo(40);
      assertThat(((OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(om.metadata())).rangeCount())
          .as("the prefix that fits is kept, not dropped").isPositive();
      KafkaTestSupport.produce(kafka, topic, 0, records(10, "late")); // offsets 100..109
      // For several poll turns and commit intervals, nothing new may be taken.
      Awaitility.await("nothing new taken").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10))
          .until(() -> handled.size() == 100);
      release.countDown();
      await("gap closed: new records taken and everything committed",
          () -> handled.size() == 110 && committedOffset(kafka, group, tp) == 110);
    }
  }
}
