package io.sagaflow.routing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.recovery.DeadLetterHeaders;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;

/** An {@link EventRouter} on a real Processor with the recovery pipeline, against the embedded broker. */
@ExtendWith(LeakCheck.class)
class EventRouterProcessorTest {
  record OrderCreated(String orderId, int quantity) {}

  private static final AtomicInteger SEQ = new AtomicInteger();
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static String unique(String prefix) {
    return prefix + "-" + SEQ.incrementAndGet();
  }

  private static ProcessorOptions<byte[], byte[]> options(String group, String topic, RecoveryHandler recovery) {
    return ProcessorOptions.create(kafka.bootstrapServers(), group, new ByteArrayDeserializer(), new ByteArrayDeserializer())
        .withTopics(topic)
        .withOrdering(Ordering.PARTITION)
        .withFailureHandler(recovery)
        .withCommitInterval(Duration.ofMillis(100))
        .withShutdownTimeout(Duration.ofSeconds(20));
  }

  @Test
  void typedHandlersGetTypedDataIncludingFalsyValuesAndTheRecordsContext() throws Exception {
    String topic = unique("orders");
    String group = unique("billing");
    kafka.createTopic(topic, 1);
    long producedAt = Instant.now().minusSeconds(60).toEpochMilli();
    RecordHeaders traced = new RecordHeaders();
    traced.add("trace-id", "t-1".getBytes(UTF_8));
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      p.send(new ProducerRecord<>(topic, 0, producedAt, bytes("o-1"),
          bytes("{\"event\":\"OrderCreated\",\"data\":{\"orderId\":\"o-1\",\"quantity\":2}}"), traced));
      p.send(new ProducerRecord<>(topic, 0, producedAt, bytes("c"), bytes("{\"event\":\"Count\",\"data\":0}")));
      p.send(new ProducerRecord<>(topic, 0, producedAt, bytes("f"), bytes("{\"event\":\"Flag\",\"data\":false}")));
      p.send(new ProducerRecord<>(topic, 0, producedAt, null, bytes("{\"event\":\"Note\",\"data\":\"\"}")));
      p.flush();
    }

    List<Object> data = new CopyOnWriteArrayList<>();
    Map<String, EventContext> contexts = new ConcurrentHashMap<>();
    AtomicInteger metadataCalls = new AtomicInteger();
    AtomicInteger countCalls = new AtomicInteger();
    EventRouter router = EventRouter.builder()
        .on("OrderCreated", OrderCreated.class, (o, ctx) -> {
          data.add(o);
          contexts.put("OrderCreated", ctx);
        })
        .on("OrderCreated", OrderCreated.class, (o, ctx) -> data.add("second handler: " + o.orderId()))
        .on("Count", Integer.class, (n, ctx) -> {
          if (countCalls.incrementAndGet() == 1) {
            throw new IllegalStateException("transient"); // retried in place: the next call is attempt 2
          }
          data.add(n);
          contexts.put("Count", ctx);
        })
        .on("Flag", Boolean.class, (b, ctx) -> data.add(b))
        .on("Note", String.class, (s, ctx) -> {
          data.add(s);
          contexts.put("Note", ctx);
        })
        .metadata(() -> Map.of("call", metadataCalls.incrementAndGet()))
        .build();
    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(3).withInitialBackoff(Duration.ofMillis(5));
    try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(kafka.bootstrapServers(), group).withPolicy(policy));
        Processor<byte[], byte[]> processor = Processor.forRecords(
            options(group, topic, recovery).withKafkaProperty("client.id", "billing-client"),
            router.asRecordHandler()).start()) {
      await("every event handled (" + data + ")").atMost(Duration.ofSeconds(60)).until(() -> data.size() == 5);
      assertThat(data).containsExactly(
          new OrderCreated("o-1", 2), "second handler: o-1", 0, false, "");

      EventContext created = contexts.get("OrderCreated");
      assertThat(created.event()).isEqualTo("OrderCreated");
      assertThat(created.key()).isEqualTo("o-1");
      assertThat(new String(created.headers().lastHeader("trace-id").value(), UTF_8)).isEqualTo("t-1");
      assertThat(created.producedAt()).isEqualTo(Instant.ofEpochMilli(producedAt));
      assertThat(created.receivedAt()).isAfter(created.producedAt()).isBeforeOrEqualTo(Instant.now());
      assertThat(created.topic()).isEqualTo(topic);
      assertThat(created.partition()).isZero();
      assertThat(created.offset()).isZero();
      assertThat(created.attempt()).isEqualTo(1);
      assertThat(created.consumer().clientId()).isEqualTo("billing-client");
      assertThat(created.consumer().groupId()).isEqualTo(group);
      assertThat(created.consumer().generation()).isPositive();
      assertThat(created.consumer().memberId()).isNotBlank();
      assertThat(created.consumer().assignedPartitions()).containsExactly(new TopicPartition(topic, 0));

      EventContext count = contexts.get("Count");
      assertThat(count.offset()).isEqualTo(1);
      assertThat(count.attempt()).isEqualTo(2);
      assertThat(contexts.get("Note").key()).isNull();
      // Called per record: once each for offsets 0, 2, 3 and twice for offset 1 (two attempts).
      assertThat(metadataCalls.get()).isEqualTo(5);
      assertThat(created.metadata()).isEqualTo(Map.of("call", 1));
      assertThat(contexts.get("Note").metadata()).isEqualTo(Map.of("call", 5));
    }
  }

  @Test
  void unroutableRecordsGoStraightToTheDeadLetterTopicWithTheReason() throws Exception {
    String topic = unique("orders");
    String group = unique("billing");
    kafka.createTopic(topic, 1);
    List<String> values = List.of(
        "{\"event\":\"OrderShipped\",\"data\":{\"orderId\":\"o-1\"}}",     // 0: nobody handles it
        "{\"data\":{\"orderId\":\"o-2\",\"quantity\":1}}",                 // 1: no event name
        "{\"event\":\"OrderCreated\",\"data\":{\"quantity\":\"many\"}}",   // 2: data does not map
        "not json",                                                        // 3: not an envelope
        "{\"event\":\"Boom\",\"data\":1}",                                 // 4: a handler failure, retried
        "{\"event\":\"OrderCreated\",\"data\":{\"orderId\":\"o-5\",\"quantity\":0}}"); // 5: fine
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (String v : values) {
        p.send(new ProducerRecord<>(topic, 0, bytes("k"), bytes(v)));
      }
      p.flush();
    }
    List<OrderCreated> handled = new CopyOnWriteArrayList<>();
    AtomicInteger boomCalls = new AtomicInteger();
    EventRouter router = EventRouter.builder()
        .on("OrderCreated", OrderCreated.class, (o, ctx) -> handled.add(o))
        .on("Boom", Integer.class, (n, ctx) -> {
          boomCalls.incrementAndGet();
          throw new IllegalStateException("boom");
        })
        .build();
    // Retryable failures get 3 attempts in place, then a retry topic: routing failures get neither.
    RetryPolicy policy = RetryPolicy.defaults()
        .withInPlaceAttempts(3)
        .withInitialBackoff(Duration.ofMillis(5))
        .withRetryTopicDelays(List.of(Duration.ofMinutes(1)));
    String retryTopic = policy.retryTopic(topic, 1);
    try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(kafka.bootstrapServers(), group).withPolicy(policy));
        Processor<byte[], byte[]> processor =
            Processor.forRecords(options(group, topic, recovery), router.asRecordHandler()).start()) {
      await("the good record after the bad ones is handled").atMost(Duration.ofSeconds(60))
          .until(() -> handled.size() == 1);
      assertThat(handled).containsExactly(new OrderCreated("o-5", 0));
      await("everything committed").atMost(Duration.ofSeconds(60))
          .until(() -> committed(group, topic) == values.size());
    }

    List<ConsumerRecord<byte[], byte[]>> dead = readAll(topic + "-dlt", 4);
    assertThat(dead).hasSize(4);
    Map<Long, DeadLetterHeaders> byOffset = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> d : dead) {
      DeadLetterHeaders h = DeadLetterHeaders.read(d.headers());
      assertThat(h.originalTopic()).isEqualTo(topic);
      assertThat(h.consumerGroup()).isEqualTo(group);
      assertThat(h.attempts()).as("not retried: %s", h.exceptionMessage()).isEqualTo(1);
      assertThat(new String(d.value(), UTF_8)).isEqualTo(values.get((int) h.originalOffset()));
      byOffset.put(h.originalOffset(), h);
    }
    assertThat(byOffset.keySet()).containsExactlyInAnyOrder(0L, 1L, 2L, 3L);
    assertThat(byOffset.get(0L).exceptionClass()).isEqualTo(RoutingException.UnknownEvent.class.getName());
    assertThat(byOffset.get(0L).exceptionMessage()).contains("no handler for event \"OrderShipped\"");
    assertThat(byOffset.get(1L).exceptionClass()).isEqualTo(RoutingException.MalformedEnvelope.class.getName());
    assertThat(byOffset.get(1L).exceptionMessage()).contains("no \"event\" name");
    assertThat(byOffset.get(2L).exceptionClass()).isEqualTo(RoutingException.DataMapping.class.getName());
    assertThat(byOffset.get(2L).exceptionMessage()).contains("does not map to").contains("OrderCreated");
    assertThat(byOffset.get(3L).exceptionClass()).isEqualTo(RoutingException.MalformedEnvelope.class.getName());
    assertThat(byOffset.get(3L).exceptionMessage()).contains("not JSON");

    // The handler failure took the retry path instead: three calls in place, then the retry topic.
    assertThat(boomCalls.get()).isEqualTo(3);
    List<ConsumerRecord<byte[], byte[]>> retried = readAll(retryTopic, 1);
    assertThat(retried).singleElement().satisfies(r ->
        assertThat(new String(r.value(), UTF_8)).isEqualTo(values.get(4)));
  }

  @Test
  void inExactlyOnceModeCtxSendJoinsTheTransaction() throws Exception {
    String in = unique("orders");
    String out = unique("invoices");
    String group = unique("billing");
    kafka.createTopic(in, 2);
    kafka.createTopic(out, 2);
    int total = 200;
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (int i = 0; i < total; i++) {
        p.send(new ProducerRecord<>(in, bytes("o-" + i),
            bytes("{\"event\":\"OrderCreated\",\"data\":{\"orderId\":\"o-" + i + "\",\"quantity\":" + i + "}}")));
      }
      p.flush();
    }
    AtomicInteger failedAfterSending = new AtomicInteger();
    EventRouter router = EventRouter.builder()
        .on("OrderCreated", OrderCreated.class, (o, ctx) -> {
          ctx.send(out, o.orderId(), Map.of("event", "InvoiceRequested", "data", o));
          if (o.quantity() % 10 == 3 && ctx.attempt() == 1) {
            failedAfterSending.incrementAndGet();
            throw new IllegalStateException("fails after sending: that send must never show");
          }
        })
        .build();
    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(3).withInitialBackoff(Duration.ofMillis(5));
    try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(kafka.bootstrapServers(), group).withPolicy(policy));
        Processor<byte[], byte[]> processor = Processor.forRecords(
            options(group, in, recovery).withOrdering(Ordering.KEY).withExactlyOnce(ExactlyOnce.defaults()),
            router.asRecordHandler()).start()) {
      List<ConsumerRecord<String, String>> got = readCommitted(out, total);
      ObjectMapper json = new ObjectMapper();
      Set<String> orderIds = new TreeSet<>();
      for (ConsumerRecord<String, String> r : got) {
        JsonNode envelope = json.readTree(r.value());
        assertThat(envelope.path("event").asText()).isEqualTo("InvoiceRequested");
        assertThat(envelope.path("data").path("orderId").asText()).isEqualTo(r.key());
        orderIds.add(r.key());
      }
      assertThat(got).as("one output per input, none from the failed attempts").hasSize(total);
      assertThat(orderIds).hasSize(total);
      assertThat(failedAfterSending.get()).isEqualTo(total / 10);
      await("the input offsets committed in the transactions").atMost(Duration.ofSeconds(60))
          .until(() -> committed(group, in) == total);
    }
  }

  // ---- helpers ----

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties p = kafka.clientProperties();
    p.put("acks", "all");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }


  private static long committed(String group, String topic) {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
          .entrySet().stream()
          .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
          .mapToLong(e -> e.getValue().offset())
          .sum();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads {@code topic} from the start until {@code expected} records and then half a second more (to see extras). */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(kafka.clientProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      // Until the expected records arrived, and half a second more: a duplicate would show up.
      await("expected records").atMost(Duration.ofSeconds(30)).during(Duration.ofMillis(500)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            c.poll(Duration.ofMillis(100)).forEach(out::add);
            return out.size() >= expected;
          });
    }
    return out;
  }

  /** Reads with read_committed until {@code expected} records arrived and then 1 s more. */
  private static List<ConsumerRecord<String, String>> readCommitted(String topic, int expected) {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, unique("reader"));
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      // Until the expected records arrived, and a second more: a duplicate would show up.
      await("expected records").atMost(Duration.ofSeconds(60)).during(Duration.ofSeconds(1)).pollInSameThread()
          .pollInterval(Duration.ofMillis(1)).until(() -> {
            c.poll(Duration.ofMillis(100)).forEach(out::add);
            return out.size() >= expected;
          });
    }
    return out;
  }
}
