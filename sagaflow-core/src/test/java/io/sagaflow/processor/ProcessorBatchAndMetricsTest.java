package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.committedOffset;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class ProcessorBatchAndMetricsTest {
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
  void batchHandlerGetsOnePartitionsRecordsInOrderAndRetriesFailuresOneByOne() throws Exception {
    String topic = unique("batch");
    kafka.createTopic(topic, 2);
    for (int p = 0; p < 2; p++) {
      List<String[]> kvs = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        kvs.add(new String[] {"k" + i, "v" + i});
      }
      KafkaTestSupport.produce(kafka, topic, p, kvs);
    }
    String group = unique("g");
    // Collected in the handler, checked here: an assertion failing in a handler would be a retried
    // failure, never a failed test.
    record Batch(Set<Integer> partitions, List<Long> offsets) {}
    List<Batch> batches = new CopyOnWriteArrayList<>();
    AtomicInteger failedOnce = new AtomicInteger();
    List<Long> retriedAlone = new CopyOnWriteArrayList<>();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withFailureHandler(f -> FailureDecision.retryAfter(java.time.Duration.ofMillis(10)));
    try (Processor<String, String> p = Processor.forBatches(opts, records -> {
      boolean hasPoison = records.stream().anyMatch(r -> r.partition() == 1 && r.offset() == 10);
      if (hasPoison && records.size() > 1 && failedOnce.getAndIncrement() == 0) {
        throw new IllegalStateException("batch failed");
      }
      if (records.size() == 1) {
        retriedAlone.add(records.get(0).partition() * 1000L + records.get(0).offset());
      }
      Set<Integer> partitions = new HashSet<>();
      List<Long> offsets = new ArrayList<>();
      for (ProcessorRecord<String, String> r : records) {
        partitions.add(r.partition());
        offsets.add(r.offset());
      }
      batches.add(new Batch(partitions, offsets));
    }).start()) {
      await("both partitions committed", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 50
          && committedOffset(kafka, group, new TopicPartition(topic, 1)) == 50);
    }
    assertThat(batches).isNotEmpty();
    for (Batch b : batches) {
      assertThat(b.partitions()).as("partitions of one batch").hasSize(1);
      assertThat(b.offsets()).isSorted();
    }
    assertThat(failedOnce.get()).isGreaterThanOrEqualTo(1);
    assertThat(retriedAlone).contains(1010L);
  }

  @Test
  void metersArePublishedToTheGivenRegistry() throws Exception {
    String topic = unique("metrics");
    kafka.createTopic(topic, 1);
    List<String[]> kvs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      kvs.add(new String[] {"k" + i, "v" + i});
    }
    KafkaTestSupport.produce(kafka, topic, 0, kvs);
    String group = unique("g");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withMetrics(MicrometerProcessorMetrics.of(registry))
        .withFailureHandler(FailureHandler.logAndContinue());
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.offset() == 5) {
        throw new IllegalStateException("one failure");
      }
    }).start()) {
      await("committed", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 20);
      assertThat(registry.get("sagaflow.processor.records").tag("outcome", "processed").counter().count())
          .isEqualTo(19);
      assertThat(registry.get("sagaflow.processor.records").tag("outcome", "failed").counter().count())
          .isEqualTo(1);
      assertThat(registry.get("sagaflow.processor.handler.latency").timer().count()).isEqualTo(19);
      await("commit latency recorded", () -> registry.get("sagaflow.processor.commit.latency").timer().count() > 0);
      await("lag gauge", () -> registry.find("sagaflow.processor.lag").gauge() != null
          && registry.find("sagaflow.processor.lag").gauge().value() == 0);
      assertThat(registry.get("sagaflow.processor.in.flight").gauge().value()).isZero();
      assertThat(registry.find("sagaflow.processor.paused.partitions").gauge()).isNotNull();
    }
    assertThat(registry.find("sagaflow.processor.records").counters()).isEmpty();
  }
}
