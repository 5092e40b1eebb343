package io.sagaflow.ui;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Writes journal records by hand, in the format durable saga consumers write ({@link JournalCodec};
 * a tombstone with {@code sagaflow-status} and the final journal when a run ends), for the runs a
 * test needs and the pizza demo does not have (waiting, compensating, markup in an error,
 * malformed).
 */
final class SyntheticJournals {
  /** The pizza demo's order journal (its durable order consumer's group is {@code pizza-order}). */
  static final String ORDER_JOURNAL = "pizza-order-saga-journal";

  private final JournalCodec codec = new JournalCodec(new ObjectMapper());
  private final KafkaProducer<byte[], byte[]> producer;

  SyntheticJournals(KafkaProducer<byte[], byte[]> producer) {
    this.producer = producer;
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

  static Action<JsonNode> action(String topic, String tx, JsonNode payload) {
    return new Action<>(topic, tx, payload, Map.of());
  }
}
