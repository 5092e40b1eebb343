package io.sagaflow.recovery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Dead-letter and retry-topic publishing against a real broker. */
@ExtendWith(LeakCheck.class)
class DeadLetterPublishingTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static EmbeddedKafka kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  RecoveryOptions options(RetryPolicy policy) {
    // These tests publish outside a processor, one blocking write after another: each would wait
    // out the default linger (100 ms), which pays only when many copies are in flight.
    return RecoveryOptions.of(kafka.bootstrapServers(), "orders-service").withPolicy(policy)
        .withClock(Clock.fixed(NOW, ZoneOffset.UTC)).withPublishTimeout(Duration.ofSeconds(20))
        .withProducerProperty("linger.ms", 5);
  }

  /** Decodes dead-letter headers the way a Spring Kafka tool does: by name, from the documented encodings. */
  record SpringStyleDeadLetter(String topic, int partition, long offset, long timestamp, String timestampType,
      String group, String fqcn, String causeFqcn, String message, String stacktrace) {
    static SpringStyleDeadLetter of(Headers h) {
      return new SpringStyleDeadLetter(
          str(h, "kafka_dlt-original-topic"),
          ByteBuffer.wrap(h.lastHeader("kafka_dlt-original-partition").value()).getInt(),
          ByteBuffer.wrap(h.lastHeader("kafka_dlt-original-offset").value()).getLong(),
          ByteBuffer.wrap(h.lastHeader("kafka_dlt-original-timestamp").value()).getLong(),
          str(h, "kafka_dlt-original-timestamp-type"),
          str(h, "kafka_dlt-original-consumer-group"),
          str(h, "kafka_dlt-exception-fqcn"),
          str(h, "kafka_dlt-exception-cause-fqcn"),
          str(h, "kafka_dlt-exception-message"),
          str(h, "kafka_dlt-exception-stacktrace"));
    }

    static String str(Headers h, String name) {
      Header header = h.lastHeader(name);
      return header == null ? null : new String(header.value(), UTF_8);
    }
  }

  @Test
  void exhaustedRetriesGiveExactlyOneDeadLetterWithEveryHeaderRight() throws Exception {
    String topic = "orders-a";
    kafka.createTopic(topic, 3);
    RecordHeaders original = new RecordHeaders();
    original.add("trace", new byte[] {1, 2, 3});
    original.add("trace", new byte[] {4});
    original.add("kafka_dlt-exception-fqcn", "old.Exception".getBytes(UTF_8)); // from an earlier dead-lettering
    byte[] key = "k-1".getBytes(UTF_8);
    byte[] value = new byte[] {0, (byte) 0xff, 42};
    TestHarness.produce(kafka.bootstrapServers(), List.of(new ProducerRecord<>(topic, 1, key, value, original)));

    AtomicInteger calls = new AtomicInteger();
    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(3).withInitialBackoff(Duration.ofMillis(10))
        .withRetryTopicDelays(List.of());
    List<ConsumerRecord<byte[], byte[]>> consumed = new ArrayList<>();
    try (RecoveryHandler handler = Recovery.handler(options(policy))) {
      TestHarness.consume(kafka.bootstrapServers(), topic, "orders-service", 1, handler, r -> {
        consumed.add(r);
        calls.incrementAndGet();
        return new IllegalStateException("payment declined", new java.io.IOException("io"));
      });
      assertThat(handler.health()).isEqualTo(RecoveryHealth.UP);
    }
    assertThat(calls).hasValue(3);

    List<ConsumerRecord<byte[], byte[]>> dlt = TestHarness.readAll(kafka.bootstrapServers(), "orders-a-dlt", 1);
    assertThat(dlt).hasSize(1);
    ConsumerRecord<byte[], byte[]> d = dlt.get(0);
    ConsumerRecord<byte[], byte[]> src = consumed.get(0);
    assertThat(d.key()).isEqualTo(key);
    assertThat(d.value()).isEqualTo(value);
    assertThat(d.partition()).isEqualTo(1);
    List<Header> headers = List.of(d.headers().toArray());
    assertThat(headers.get(0).key()).isEqualTo("trace");
    assertThat(headers.get(0).value()).isEqualTo(new byte[] {1, 2, 3});
    assertThat(headers.get(1).value()).isEqualTo(new byte[] {4});
    assertThat(d.headers().headers("kafka_dlt-exception-fqcn")).hasSize(1);

    SpringStyleDeadLetter s = SpringStyleDeadLetter.of(d.headers());
    assertThat(s).isEqualTo(new SpringStyleDeadLetter(topic, 1, src.offset(), src.timestamp(), "CreateTime",
        "orders-service", IllegalStateException.class.getName(), java.io.IOException.class.getName(),
        "payment declined", s.stacktrace()));
    assertThat(s.stacktrace()).startsWith("java.lang.IllegalStateException: payment declined")
        .contains("Caused by: java.io.IOException: io");
    assertThat(d.headers().lastHeader("kafka_dlt-original-partition").value()).hasSize(4);
    assertThat(d.headers().lastHeader("kafka_dlt-original-offset").value()).hasSize(8);
    assertThat(d.headers().lastHeader("kafka_dlt-original-timestamp").value()).hasSize(8);

    DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
    assertThat(h.originalTopic()).isEqualTo(topic);
    assertThat(h.originalPartition()).isEqualTo(1);
    assertThat(h.originalOffset()).isEqualTo(src.offset());
    assertThat(h.originalTimestamp()).isEqualTo(src.timestamp());
    assertThat(h.originalTimestampType()).isEqualTo(TimestampType.CREATE_TIME.toString());
    assertThat(h.consumerGroup()).isEqualTo("orders-service");
    assertThat(h.exceptionClass()).isEqualTo(IllegalStateException.class.getName());
    assertThat(h.exceptionCauseClass()).isEqualTo(java.io.IOException.class.getName());
    assertThat(h.exceptionMessage()).isEqualTo("payment declined");
    assertThat(h.stackTrace()).isEqualTo(s.stacktrace());
    assertThat(h.keyFailure()).isFalse();
    assertThat(h.attempts()).isEqualTo(3);
    assertThat(h.failedAt()).isEqualTo(NOW);
  }

  @Test
  void poisonPillGoesToTheDltWithRawBytesAndTheDeserializationError() throws Exception {
    String topic = "orders-poison";
    kafka.createTopic(topic, 2);
    byte[] raw = new byte[] {1, 2, 3}; // not a 4-byte int
    TestHarness.produce(kafka.bootstrapServers(), List.of(new ProducerRecord<>(topic, 0, null, raw)));
    AtomicInteger calls = new AtomicInteger();
    try (RecoveryHandler handler = Recovery.handler(options(RetryPolicy.defaults()))) {
      TestHarness.consume(kafka.bootstrapServers(), topic, "poison-group", 1, handler, r -> {
        calls.incrementAndGet();
        try (IntegerDeserializer ints = new IntegerDeserializer()) {
          ints.deserialize(r.topic(), r.value());
          return null;
        } catch (SerializationException e) {
          return e;
        }
      });
    }
    assertThat(calls).as("a poison pill is never retried").hasValue(1);
    ConsumerRecord<byte[], byte[]> d = TestHarness.readAll(kafka.bootstrapServers(), "orders-poison-dlt", 1).get(0);
    assertThat(d.value()).isEqualTo(raw);
    assertThat(d.key()).isNull();
    DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
    assertThat(h.exceptionClass()).isEqualTo(SerializationException.class.getName());
    assertThat(h.exceptionMessage()).contains("IntegerDeserializer");
    assertThat(h.attempts()).isEqualTo(1);
    assertThat(h.consumerGroup()).isEqualTo("poison-group");
  }

  @Test
  void keyDeserializationFailureUsesTheKeyExceptionHeaders() throws Exception {
    String topic = "orders-badkey";
    kafka.createTopic(topic, 1);
    TestHarness.produce(kafka.bootstrapServers(), List.of(new ProducerRecord<>(topic, 0, new byte[] {9}, new byte[] {1})));
    try (RecoveryHandler handler = Recovery.handler(options(RetryPolicy.defaults()))) {
      TestHarness.consume(kafka.bootstrapServers(), topic, "badkey-group", 1, handler, r ->
          new RecordDeserializationException(RecordDeserializationException.DeserializationExceptionOrigin.KEY,
              new TopicPartition(r.topic(), r.partition()), r.offset(), r.timestamp(), r.timestampType(),
              null, null, r.headers(), "key is not a UUID", null));
    }
    ConsumerRecord<byte[], byte[]> d = TestHarness.readAll(kafka.bootstrapServers(), "orders-badkey-dlt", 1).get(0);
    assertThat(d.key()).isEqualTo(new byte[] {9});
    assertThat(d.headers().lastHeader("kafka_dlt-exception-fqcn")).isNull();
    assertThat(new String(d.headers().lastHeader("kafka_dlt-key-exception-fqcn").value(), UTF_8))
        .isEqualTo(RecordDeserializationException.class.getName());
    assertThat(new String(d.headers().lastHeader("kafka_dlt-key-exception-message").value(), UTF_8))
        .isEqualTo("key is not a UUID");
    assertThat(d.headers().lastHeader("kafka_dlt-key-exception-stacktrace")).isNotNull();
    DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
    assertThat(h.keyFailure()).isTrue();
    assertThat(h.exceptionMessage()).isEqualTo("key is not a UUID");
  }

  @Test
  void retryTopicsAreCreatedWithTheSourcePartitionCountAndCarryADueTime() throws Exception {
    String topic = "orders-r";
    kafka.createTopic(topic, 3);
    TestHarness.produce(kafka.bootstrapServers(), List.of(new ProducerRecord<>(topic, 2, "k".getBytes(UTF_8),
        "v".getBytes(UTF_8))));
    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(1)
        .withRetryTopicDelays(List.of(Duration.ofSeconds(1), Duration.ofSeconds(10)));
    try (RecoveryHandler handler = Recovery.handler(options(policy))) {
      TestHarness.consume(kafka.bootstrapServers(), topic, "r-group", 1, handler, r -> new IllegalStateException("t0"));
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        assertThat(admin.describeTopics(List.of("orders-r-retry-1s")).allTopicNames().get()
            .get("orders-r-retry-1s").partitions()).hasSize(3);
      }
      ConsumerRecord<byte[], byte[]> tier1 = TestHarness.readAll(kafka.bootstrapServers(), "orders-r-retry-1s", 1).get(0);
      assertThat(tier1.partition()).isEqualTo(2);
      assertThat(tier1.headers().lastHeader(RecoveryHeaders.RETRY_DUE).value()).hasSize(8);
      assertThat(Recovery.retryDueTime().apply(tier1)).isEqualTo(NOW.plusSeconds(1));
      assertThat(Recovery.retryTopics(topic, policy)).containsExactly("orders-r-retry-1s", "orders-r-retry-10s");

      // The retry consumer fails it again: tier 2, then the DLT keeps the first origin.
      TestHarness.consume(kafka.bootstrapServers(), "orders-r-retry-1s", "r-group", 1, handler,
          r -> new IllegalStateException("t1"));
      ConsumerRecord<byte[], byte[]> tier2 = TestHarness.readAll(kafka.bootstrapServers(), "orders-r-retry-10s", 1).get(0);
      assertThat(Recovery.retryDueTime().apply(tier2)).isEqualTo(NOW.plusSeconds(10));
      TestHarness.consume(kafka.bootstrapServers(), "orders-r-retry-10s", "r-group", 1, handler,
          r -> new IllegalStateException("t2"));
    }
    ConsumerRecord<byte[], byte[]> d = TestHarness.readAll(kafka.bootstrapServers(), "orders-r-dlt", 1).get(0);
    DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
    assertThat(h.originalTopic()).isEqualTo(topic);
    assertThat(h.originalPartition()).isEqualTo(2);
    assertThat(h.originalOffset()).isEqualTo(0L);
    assertThat(h.attempts()).isEqualTo(3);
    assertThat(h.exceptionMessage()).isEqualTo("t2");
    assertThat(d.value()).isEqualTo("v".getBytes(UTF_8));
    assertThat(Recovery.retryDueTime().apply(new ConsumerRecord<>("x", 0, 0, new byte[0], new byte[0])))
        .isEqualTo(Instant.EPOCH);
  }

  @Test
  void unwritableDltThrowsAndMarksDownUntilTheTopicExists() throws Exception {
    try (EmbeddedKafka strict = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withAutoCreateTopics(false))) {
      strict.createTopic("payments", 1);
      RecoveryOptions opts = RecoveryOptions.of(strict.bootstrapServers(), "pay")
          .withCreateTopics(false).withPublishTimeout(Duration.ofSeconds(2))
          .withPolicy(RetryPolicy.defaults().withInPlaceAttempts(1).withRetryTopicDelays(List.of()));
      ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("payments", 0, 7, "k".getBytes(UTF_8), "v".getBytes(UTF_8));
      FailedRecord failed = new FailedRecord(r, new IllegalArgumentException("bad"), 1, "pay");
      try (RecoveryHandler handler = Recovery.handler(opts)) {
        assertThat(handler.health()).isEqualTo(RecoveryHealth.UP);
        assertThatThrownBy(() -> handler.onFailure(failed))
            .isInstanceOf(RecoveryPublishException.class).hasMessageContaining("payments-dlt");
        assertThat(handler.health()).isEqualTo(RecoveryHealth.DOWN);
        assertThat(handler.lastPublishFailure()).isPresent();

        strict.createTopic("payments-dlt", 1);
        // The processor would keep calling with backoff, like this, until the topic takes the record.
        FailureDecision decision = await("the dead letter written").atMost(Duration.ofSeconds(30))
            .pollInSameThread().ignoreException(RecoveryPublishException.class)
            .until(() -> handler.onFailure(failed), d -> d != null);
        assertThat(decision).isEqualTo(FailureDecision.done());
        assertThat(handler.health()).isEqualTo(RecoveryHealth.UP);
      }
      List<ConsumerRecord<byte[], byte[]>> dlt = TestHarness.readAll(strict.bootstrapServers(), "payments-dlt", 1);
      assertThat(dlt).hasSize(1);
      assertThat(DeadLetterHeaders.read(dlt.get(0).headers()).originalOffset()).isEqualTo(7L);
    }
  }

  @Test
  void deadLettersAreCompressedOnlyWhenTheProducerPropertiesSaySo() throws Exception {
    RetryPolicy straightToDlt = RetryPolicy.defaults().withRetryable(e -> false);
    long none = deadLetterLogBytes("orders-none", options(straightToDlt));
    long lz4 = deadLetterLogBytes("orders-lz4", options(straightToDlt).withProducerProperty("compression.type", "lz4"));

    // Ten letters of a 20 kB value of one repeated byte: stored as they are unless compressed.
    assertThat(none).isGreaterThan(10 * 20_000L);
    assertThat(lz4).isLessThan(none / 10);
  }

  /** Dead-letters ten records of {@code topic} and returns the bytes its DLT holds on the broker. */
  private long deadLetterLogBytes(String topic, RecoveryOptions options) throws Exception {
    kafka.createTopic(topic, 1);
    byte[] value = new byte[20_000];
    java.util.Arrays.fill(value, (byte) 'a');
    try (RecoveryHandler handler = Recovery.handler(options)) {
      for (int i = 0; i < 10; i++) {
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, 0, i, null, value);
        handler.onFailure(new FailedRecord(r, new IllegalStateException("record " + i), 1, "g"));
      }
    }
    List<ConsumerRecord<byte[], byte[]>> dlt = TestHarness.readAll(kafka.bootstrapServers(), topic + "-dlt", 10);
    assertThat(dlt).hasSize(10).allSatisfy(d -> assertThat(d.value()).isEqualTo(value));
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      int broker = admin.describeCluster().nodes().get().iterator().next().id();
      return admin.describeLogDirs(List.of(broker)).allDescriptions().get().get(broker).values().stream()
          .mapToLong(dir -> {
            var replica = dir.replicaInfos().get(new TopicPartition(topic + "-dlt", 0));
            return replica == null ? 0 : replica.size();
          })
          .sum();
    }
  }

  @Test
  void concurrentFailuresFromManyWorkersEachLandOnceInTheDlt() throws Exception {
    String topic = "orders-many";
    kafka.createTopic(topic, 4);
    int workers = 8;
    int perWorker = 25;
    RecoveryOptions opts = options(RetryPolicy.defaults().withRetryable(e -> false));
    try (RecoveryHandler handler = Recovery.handler(opts)) {
      List<Thread> threads = new ArrayList<>();
      List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int w = 0; w < workers; w++) {
        int worker = w;
        threads.add(Thread.ofVirtual().start(() -> {
          for (int i = 0; i < perWorker; i++) {
            long offset = worker * 1000L + i;
            ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, worker % 4, offset, null, new byte[] {1});
            try {
              assertThat(handler.onFailure(new FailedRecord(r, new IllegalStateException(), 1, "g")))
                  .isEqualTo(FailureDecision.done());
            } catch (Throwable e) {
              errors.add(e);
            }
          }
        }));
      }
      for (Thread t : threads) {
        t.join();
      }
      assertThat(errors).isEmpty();
    }
    List<ConsumerRecord<byte[], byte[]>> dlt = TestHarness.readAll(kafka.bootstrapServers(), "orders-many-dlt",
        workers * perWorker);
    assertThat(dlt).hasSize(workers * perWorker);
    assertThat(dlt.stream().map(d -> DeadLetterHeaders.read(d.headers()).originalOffset()).distinct().count())
        .isEqualTo(workers * perWorker);
  }

  @Test
  void transactionalHandlerWritesTheDeadLetterOnlyWhenTheCallersTransactionCommits() throws Exception {
    String topic = "orders-eos";
    kafka.createTopic(topic, 1);
    java.util.Map<String, Object> p = new java.util.HashMap<>();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("transactional.id", "eos-test-1");
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(p,
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer());
        RecoveryHandler handler = Recovery.transactionalHandler(options(RetryPolicy.defaults().withInPlaceAttempts(1)
            .withRetryTopicDelays(List.of())), producer)) {
      producer.initTransactions();
      handler.createTopics(topic);
      ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, 0, 3, null, new byte[] {1});
      producer.beginTransaction();
      assertThat(handler.onFailure(new FailedRecord(r, new IllegalStateException("aborted one"), 1, "g")))
          .isEqualTo(FailureDecision.done());
      producer.abortTransaction();
      producer.beginTransaction();
      handler.onFailure(new FailedRecord(r, new IllegalStateException("committed one"), 1, "g"));
      producer.commitTransaction();
    }
    List<ConsumerRecord<byte[], byte[]>> dlt = TestHarness.readAll(kafka.bootstrapServers(), "orders-eos-dlt", 1);
    assertThat(dlt).singleElement()
        .satisfies(d -> assertThat(DeadLetterHeaders.read(d.headers()).exceptionMessage()).isEqualTo("committed one"));
  }
}
