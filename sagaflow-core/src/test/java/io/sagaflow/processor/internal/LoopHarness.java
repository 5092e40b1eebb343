package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.RecordHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A poll loop on a {@link MockConsumer} and a {@link FakeTicker}, driven turn by turn from the
 * test thread (which acts as its poll thread). Handlers run on the real lane runners.
 */
final class LoopHarness {
  static final String TOPIC = "t";

  final FakeTicker ticker = new FakeTicker();
  /** The last offset committed per partition, by any commit call (the mock forgets unassigned ones). */
  final Map<TopicPartition, Long> commits = new ConcurrentHashMap<>();
  final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
      offsets.forEach((tp, om) -> commits.put(tp, om.offset()));
      super.commitAsync(offsets, callback);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
      offsets.forEach((tp, om) -> commits.put(tp, om.offset()));
      super.commitSync(offsets, timeout);
    }
  };
  final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  final ProcessorRuntime<String, String> runtime;
  /** Records retried in place (alarm after 5 minutes of the fake clock). */
  final StallWatch stalls = new StallWatch(ticker, Duration.ofMinutes(5).toNanos(), Metrics.NOOP);
  final PollLoop<String, String> loop;
  Map<String, Object> consumerProperties;

  LoopHarness(ProcessorOptions<String, String> options, RecordHandler<String, String> handler) {
    KafkaClientFactory clients = new KafkaClientFactory() {
      @Override
      public Consumer<byte[], byte[]> consumer(Map<String, Object> properties) {
        consumerProperties = properties;
        return consumer;
      }

      @Override
      public Producer<byte[], byte[]> producer(Map<String, Object> properties) {
        return producer;
      }
    };
    runtime = new ProcessorRuntime<>(options, handler, null, false, ticker, clients);
    HandlerInvoker<String, String> invoker = new HandlerInvoker<>(handler, null, options.failureHandler(),
        options.keyDeserializer(), options.valueDeserializer(), options.groupId(), false, Metrics.NOOP, stalls,
        runtime);
    loop = new PollLoop<>(runtime, 0, invoker, null, false, Metrics.NOOP);
  }

  static ProcessorOptions<String, String> options() {
    return ProcessorOptions.create("127.0.0.1:1", "g", new StringDeserializer(), new StringDeserializer())
        .withTopics(TOPIC);
  }

  static TopicPartition tp(int partition) {
    return new TopicPartition(TOPIC, partition);
  }

  /** Opens the loop and assigns {@code partitions}, all starting at offset 0. */
  LoopHarness assign(TopicPartition... partitions) {
    loop.open();
    Map<TopicPartition, Long> beginning = new HashMap<>();
    for (TopicPartition tp : partitions) {
      beginning.put(tp, 0L);
    }
    consumer.updateBeginningOffsets(beginning);
    consumer.rebalance(List.of(partitions));
    return this;
  }

  /** Adds records with keys {@code keys[i]} at offsets {@code from + i}. */
  void add(TopicPartition tp, long from, String... keys) {
    for (int i = 0; i < keys.length; i++) {
      byte[] key = keys[i].getBytes(StandardCharsets.UTF_8);
      consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), from + i, key, key));
    }
  }

  static String[] keys(String key, int n) {
    String[] keys = new String[n];
    java.util.Arrays.fill(keys, key);
    return keys;
  }

  PartitionState state(TopicPartition tp) {
    return loop.assignment().get(tp);
  }

  /** Runs turns until {@code done}, for at most 10 s of real time; false if it never got there. */
  boolean turnUntil(BooleanSupplier done) {
    try {
      Awaitility.await().atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            if (done.getAsBoolean()) {
              return true;
            }
            loop.turn();
            return done.getAsBoolean();
          });
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  AtomicLong inFlight() {
    return runtime.inFlight;
  }
}
