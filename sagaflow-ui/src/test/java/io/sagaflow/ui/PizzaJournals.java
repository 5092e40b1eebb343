package io.sagaflow.ui;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.examples.pizza.PizzaTopics;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.RecordedFailure;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes the journal records of the pizza demo's saga runs, in the format durable saga consumers
 * write ({@link JournalCodec}; a tombstone with {@code sagaflow-status} and the final journal when a
 * run ends), rebuilt from what the demo's sagas put on their topics: each run's effects, in the
 * order the sagas perform them, with the times of the records they produced. Until the pizza
 * demo runs durable sagas itself, this is how the browser tests get journals of real runs.
 */
final class PizzaJournals {
  static final String ORDER_JOURNAL = "pizza-order-saga-journal";
  static final String KITCHEN_JOURNAL = "pizza-kitchen-saga-journal";
  static final String DELIVERY_JOURNAL = "pizza-delivery-saga-journal";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final ActionCodec actions = ActionCodec.create();
  private final JournalCodec codec = new JournalCodec(new ObjectMapper());
  private final KafkaProducer<byte[], byte[]> producer;
  /** Every action the demo put, by transaction id, then by topic. */
  private final Map<String, Map<String, ConsumerRecord<byte[], byte[]>>> byTx = new LinkedHashMap<>();

  PizzaJournals(Properties client, KafkaProducer<byte[], byte[]> producer) {
    this.producer = producer;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(client, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : PizzaTopics.ALL) {
        c.partitionsFor(t, TIMEOUT).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, TIMEOUT);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
          String tx = actions.decode(r).transactionId();
          byTx.computeIfAbsent(tx, k -> new HashMap<>()).put(r.topic(), r);
        }
      }
    }
  }

  /** The transaction ids of the orders placed, with their pizza. */
  Map<String, String> orders() {
    Map<String, String> out = new LinkedHashMap<>();
    byTx.forEach((tx, records) -> {
      ConsumerRecord<byte[], byte[]> placed = records.get(PizzaTopics.ORDER_PLACED);
      if (placed != null) {
        out.put(tx, actions.decode(placed).payload().path("pizza").asText());
      }
    });
    return out;
  }

  /** Writes the order, kitchen and delivery journals of every order (a live state, then the end). */
  void writeAll() {
    byTx.forEach((tx, records) -> {
      ConsumerRecord<byte[], byte[]> placed = records.get(PizzaTopics.ORDER_PLACED);
      if (placed != null) {
        finish(ORDER_JOURNAL, order(placed, records), "completed", null);
      }
      ConsumerRecord<byte[], byte[]> begin = records.get(PizzaTopics.CREATE_BEGIN);
      if (begin != null) {
        finish(KITCHEN_JOURNAL, kitchen(begin, records), "completed", null);
      }
      ConsumerRecord<byte[], byte[]> deliver = records.get(PizzaTopics.DELIVER_BEGIN);
      if (deliver != null) {
        finish(DELIVERY_JOURNAL, delivery(deliver, records), "completed", null);
      }
    });
    producer.flush();
  }

  private SagaJournal order(ConsumerRecord<byte[], byte[]> placed, Map<String, ConsumerRecord<byte[], byte[]>> rs) {
    SagaJournal j = start(placed, "OrderSaga");
    ConsumerRecord<byte[], byte[]> begin = rs.get(PizzaTopics.CREATE_BEGIN);
    Instant t0 = j.startedAt();
    j = j.withEntry(done(pending("1", EffectKind.CHANNEL, PizzaTopics.CREATE_SUCCESS, t0), null, 0));
    j = j.withEntry(done(pending("2", EffectKind.CHANNEL, PizzaTopics.CREATE_FAILED, t0), null, 0));
    j = j.withEntry(done(pending("3", EffectKind.PUT, PizzaTopics.CREATE_BEGIN, at(begin)), null, 1));
    ConsumerRecord<byte[], byte[]> baked = rs.get(PizzaTopics.CREATE_SUCCESS);
    ConsumerRecord<byte[], byte[]> burnt = rs.get(PizzaTopics.CREATE_FAILED);
    ConsumerRecord<byte[], byte[]> reply = baked != null ? baked : burnt;
    j = race(j, "4", List.of("baked", "failed", "timeout"), baked != null ? "baked" : "failed", begin, reply);
    if (baked == null) {
      return j.withEntry(done(pending("5", EffectKind.PUT, PizzaTopics.ORDER_FAILED, at(rs.get(PizzaTopics.ORDER_FAILED))),
          null, 1));
    }
    ConsumerRecord<byte[], byte[]> deliver = rs.get(PizzaTopics.DELIVER_BEGIN);
    j = j.withEntry(done(pending("5", EffectKind.CHANNEL, PizzaTopics.DELIVER_SUCCESS, at(baked)), null, 0));
    j = j.withEntry(done(pending("6", EffectKind.PUT, PizzaTopics.DELIVER_BEGIN, at(deliver)), null, 1));
    j = race(j, "7", List.of("delivered", "timeout"), "delivered", deliver, rs.get(PizzaTopics.DELIVER_SUCCESS));
    return j.withEntry(done(pending("8", EffectKind.PUT, PizzaTopics.ORDER_COMPLETED,
        at(rs.get(PizzaTopics.ORDER_COMPLETED))), null, 1));
  }

  /** A race as the journal records it: pending with its timeout's deadline, then the winner's take. */
  private SagaJournal race(SagaJournal j, String id, List<String> keys, String winner, ConsumerRecord<byte[], byte[]> from,
      ConsumerRecord<byte[], byte[]> reply) {
    Instant start = at(from);
    j = j.withEntry(pending(id, EffectKind.RACE, String.join(",", keys), start));
    j = j.withEntry(JournalEntry.pending(id + "/race/timeout", EffectKind.DELAY, null, start, start.plus(TIMEOUT)));
    long took = at(reply).toEpochMilli() - start.toEpochMilli();
    j = j.withEntry(done(pending(id + "/race/" + winner, EffectKind.TAKE, reply.topic(), start), actions.decode(reply), took));
    JournalCodec.EncodedResult won = codec.encodeResult(new io.sagaflow.saga.RaceResult(winner, keys.indexOf(winner), null));
    return j.withEntry(j.entry(id).returned(won.type(), won.json(), took));
  }

  private SagaJournal kitchen(ConsumerRecord<byte[], byte[]> begin, Map<String, ConsumerRecord<byte[], byte[]>> rs) {
    SagaJournal j = start(begin, "KitchenSaga");
    ConsumerRecord<byte[], byte[]> started = rs.get(PizzaTopics.CREATE_STARTED);
    j = j.withEntry(done(pending("1", EffectKind.PUT, PizzaTopics.CREATE_STARTED, at(started)), null, 1));
    ConsumerRecord<byte[], byte[]> baked = rs.get(PizzaTopics.CREATE_SUCCESS);
    ConsumerRecord<byte[], byte[]> burnt = rs.get(PizzaTopics.CREATE_FAILED);
    ConsumerRecord<byte[], byte[]> end = baked != null ? baked : burnt;
    long took = at(end).toEpochMilli() - at(started).toEpochMilli();
    JournalEntry oven = pending("2", EffectKind.CALL, "oven", at(started));
    if (baked != null) {
      JsonNode pizza = actions.decode(baked).payload();
      j = j.withEntry(oven.returned("io.sagaflow.examples.pizza.Pizza", pizza, took));
    } else {
      String why = actions.decode(burnt).payload().asText();
      j = j.withEntry(oven.failed(new RecordedFailure(IllegalArgumentException.class.getName(), why, null), took));
    }
    return j.withEntry(done(pending("3", EffectKind.PUT, end.topic(), at(end)), null, 1));
  }

  private SagaJournal delivery(ConsumerRecord<byte[], byte[]> begin, Map<String, ConsumerRecord<byte[], byte[]>> rs) {
    SagaJournal j = start(begin, "DeliverySaga");
    ConsumerRecord<byte[], byte[]> done = rs.get(PizzaTopics.DELIVER_SUCCESS);
    long drive = at(done).toEpochMilli() - at(begin).toEpochMilli();
    j = j.withEntry(JournalEntry.pending("1", EffectKind.DELAY, null, at(begin), at(done)).returned(null, null, drive));
    return j.withEntry(done(pending("2", EffectKind.PUT, PizzaTopics.DELIVER_SUCCESS, at(done)), null, 1));
  }

  private SagaJournal start(ConsumerRecord<byte[], byte[]> input, String saga) {
    InputPosition in = new InputPosition(input.topic(), input.partition(), input.offset());
    return SagaJournal.start(in.runKey(), saga, in, actions.decode(input), at(input));
  }

  private static JournalEntry pending(String id, EffectKind kind, String detail, Instant at) {
    return JournalEntry.pending(id, kind, detail, at, null);
  }

  private JournalEntry done(JournalEntry e, Object result, long millis) {
    JournalCodec.EncodedResult r = codec.encodeResult(result);
    return e.returned(r.type(), r.json(), millis);
  }

  private static Instant at(ConsumerRecord<byte[], byte[]> r) {
    return Instant.ofEpochMilli(r.timestamp());
  }

  /** Writes {@code journal} as a live run (its full state under its run key). */
  void live(String journalTopic, SagaJournal journal) {
    int partition = journal.input() == null ? 0 : journal.input().partition();
    producer.send(new ProducerRecord<>(journalTopic, partition, journal.runKey().getBytes(UTF_8), codec.encode(journal)));
  }

  /** Writes {@code journal}'s live state, then the tombstone that ends it with {@code status}. */
  void finish(String journalTopic, SagaJournal journal, String status, String error) {
    live(journalTopic, journal);
    int partition = journal.input() == null ? 0 : journal.input().partition();
    ProducerRecord<byte[], byte[]> end = new ProducerRecord<>(journalTopic, partition, journal.runKey().getBytes(UTF_8), null);
    end.headers().add(new RecordHeader("sagaflow-status", status.getBytes(UTF_8)));
    end.headers().add(new RecordHeader("sagaflow-journal", codec.encode(journal)));
    if (error != null) {
      end.headers().add(new RecordHeader("sagaflow-error", error.getBytes(UTF_8)));
    }
    producer.send(end);
  }

  /** Writes raw bytes under {@code key}, e.g. a malformed record. */
  void raw(String journalTopic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(journalTopic, 0, key.getBytes(UTF_8), value));
  }

  JournalCodec codec() {
    return codec;
  }

  static Action<JsonNode> action(String topic, String tx, JsonNode payload) {
    return new Action<>(topic, tx, payload, Map.of());
  }
}
