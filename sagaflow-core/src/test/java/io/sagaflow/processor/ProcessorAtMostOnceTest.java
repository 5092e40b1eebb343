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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** CommitStrategy.AT_MOST_ONCE against a broker: committed before handling, never retried. */
@ExtendWith(LeakCheck.class)
class ProcessorAtMostOnceTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static String topicWith(int n) {
    String topic = unique("amo");
    kafka.createTopic(topic, 1);
    List<String[]> kvs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      kvs.add(new String[] {"k", "v" + i});
    }
    KafkaTestSupport.produce(kafka, topic, 0, kvs);
    return topic;
  }

  @Test
  void aFailingHandlerIsNotRetriedAndTheRecordIsDropped() throws Exception {
    String topic = topicWith(5);
    String group = unique("g");
    Map<String, Integer> calls = new ConcurrentHashMap<>();
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.PARTITION) // a retry in place would run v2 again before v3
        .withCommitStrategy(CommitStrategy.AT_MOST_ONCE);
    List<String> order = new CopyOnWriteArrayList<>();
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      calls.merge(r.value(), 1, Integer::sum);
      order.add(r.value());
      if (r.value().equals("v2")) {
        throw new IllegalStateException("fails once, and would fail again");
      }
    }).start()) {
      await("all five handled", () -> calls.keySet().containsAll(List.of("v0", "v1", "v2", "v3", "v4")));
      await("offset 5 committed", () -> committedOffset(kafka, group, new TopicPartition(topic, 0)) == 5);
      assertThat(order).containsExactly("v0", "v1", "v2", "v3", "v4");
      assertThat(p.status().stalledRecords()).isEmpty();
      assertThat(p.status().healthy()).isTrue();
    }
  }

  @Test
  void recordsCommittedButNotHandledBeforeACrashAreNotRedelivered() throws Exception {
    String topic = topicWith(10);
    String group = unique("g");
    TopicPartition tp = new TopicPartition(topic, 0);
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    ProcessorOptions<String, String> opts = options(kafka, group, topic)
        .withOrdering(Ordering.PARTITION)
        .withCommitStrategy(CommitStrategy.AT_MOST_ONCE);
    Processor<String, String> first = Processor.forRecords(opts, r -> {
      started.countDown();
      never.await(); // stuck in the first record: nothing finishes
    }).start();
    try {
      await("the first record started", () -> started.getCount() == 0);
      await("all ten committed before any was handled", () -> committedOffset(kafka, group, tp) == 10);
    } finally {
      first.close(Duration.ZERO); // no drain: the stuck handler is interrupted, as in a crash
    }

    List<String> seen = new CopyOnWriteArrayList<>();
    try (Processor<String, String> second = Processor.forRecords(opts, r -> seen.add(r.value())).start()) {
      KafkaTestSupport.produce(kafka, topic, 0, List.<String[]>of(new String[] {"k", "after"}));
      await("the record produced after the crash", () -> seen.contains("after"));
      assertThat(seen).containsExactly("after"); // v0..v9 were committed: not delivered again
    }
  }
}
