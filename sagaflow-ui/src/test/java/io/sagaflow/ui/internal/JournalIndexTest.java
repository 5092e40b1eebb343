package io.sagaflow.ui.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.RecordedFailure;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How journal records become runs and statuses (pure logic: records built in memory). */
class JournalIndexTest {
  private static final String TOPIC = "orders-saga-journal";
  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");
  private final JournalCodec codec = new JournalCodec(new ObjectMapper());
  private final KafkaCluster cluster = KafkaCluster.create(ClusterOptions.of("127.0.0.1:1")); // never contacted
  private final JournalIndex index = new JournalIndex(cluster, Duration.ofSeconds(1), Duration.ofSeconds(1));
  private long offset;

  @AfterEach
  void close() {
    cluster.close();
  }

  private SagaJournal journal(String key) {
    InputPosition in = new InputPosition("orders", 0, 42);
    return SagaJournal.start(key, "OrderSaga", in,
        new Action<>("orders", "tx-" + key, JsonNodeFactory.instance.objectNode().put("n", 1), Map.of()), T0);
  }

  private void value(String key, SagaJournal j) {
    index.apply(new ConsumerRecord<>(TOPIC, 0, offset++, key.getBytes(UTF_8), codec.encode(j)));
  }

  private void tombstone(String key, String status, SagaJournal j, String error) {
    RecordHeaders h = new RecordHeaders();
    if (status != null) {
      h.add(new RecordHeader("sagaflow-status", status.getBytes(UTF_8)));
    }
    if (j != null) {
      h.add(new RecordHeader("sagaflow-journal", codec.encode(j)));
    }
    if (error != null) {
      h.add(new RecordHeader("sagaflow-error", error.getBytes(UTF_8)));
    }
    index.apply(new ConsumerRecord<>(TOPIC, 0, offset++, 0L, TimestampType.CREATE_TIME, 0, 0, key.getBytes(UTF_8),
        null, h, Optional.empty()));
  }

  private SagaRun run(String key) {
    return index.runs().stream().filter(r -> r.runKey().equals(key)).findFirst().orElse(null);
  }

  @Test
  void statusFollowsTheLatestRecordOfEachRun() {
    SagaJournal j = journal("a").withEntry(JournalEntry.pending("1", EffectKind.PUT, "PAY", T0, null).returned(null, null, 2));
    value("a", j);
    assertThat(run("a").status()).isEqualTo("running");

    j = j.withEntry(JournalEntry.pending("2", EffectKind.DELAY, null, T0, T0.plusSeconds(60)));
    value("a", j);
    assertThat(run("a").status()).isEqualTo("waiting");
    assertThat(run("a").detail(T0.plusSeconds(15)).path("waitingFor").get(0).path("remainingMillis").asLong())
        .isEqualTo(45_000);

    j = j.withEntry(j.entry("2").returned(null, null, 60_000))
        .withEntry(JournalEntry.pending("3", EffectKind.CALL, "ship", T0, null)
            .failed(new RecordedFailure("java.io.IOException", "down", null), 1))
        .withEntry(JournalEntry.pending("compensate/1/1", EffectKind.CALL, "refund", T0, null));
    value("a", j);
    assertThat(run("a").status()).isEqualTo("compensating");

    tombstone("a", "failed", j, "java.io.IOException: down");
    SagaRun ended = run("a");
    assertThat(ended.status()).isEqualTo("failed");
    assertThat(ended.error()).isEqualTo("java.io.IOException: down");
    assertThat(ended.journal().entries()).hasSize(4);
    assertThat(ended.detail(T0).path("waitingFor")).as("an ended run waits for nothing").isEmpty();
  }

  @Test
  void aVersionMarkerIsShownWithItsChangeIdAndVersionAndIsNoCompensation() {
    SagaJournal j = journal("v")
        .withEntry(JournalEntry.pending("1", EffectKind.PUT, "PAY", T0, null).returned(null, null, 2))
        .withEntry(new JournalEntry("version/refund/compensate/x", EffectKind.VERSION, "refund/compensate/x",
            JournalEntry.Status.RETURNED, "java.lang.Integer", IntNode.valueOf(2), null, T0, 0, null))
        .withEntry(new JournalEntry("version/ship", EffectKind.VERSION, "ship", JournalEntry.Status.RETURNED,
            "java.lang.Integer", IntNode.valueOf(-1), null, T0, 0, null));
    value("v", j);
    assertThat(run("v").status()).isEqualTo("running");
    var effects = run("v").detail(T0).path("effects");
    assertThat(effects.get(1).path("kind").asText()).isEqualTo("version");
    assertThat(effects.get(1).path("describe").asText()).isEqualTo("version(refund/compensate/x)");
    assertThat(effects.get(1).path("result").asText()).isEqualTo("2");
    assertThat(effects.get(1).path("compensation").asBoolean()).isFalse();
    assertThat(effects.get(2).path("result").asText()).isEqualTo("-1 (default: journaled by code without this marker)");
  }

  @Test
  void anEndedRunWithoutItsFinalJournalKeepsTheLastOneSeen_andABareTombstoneRemovesTheRun() {
    value("b", journal("b"));
    tombstone("b", "completed", null, null);
    assertThat(run("b").status()).isEqualTo("completed");
    assertThat(run("b").transactionId()).isEqualTo("tx-b");

    tombstone("b", null, null, null);
    assertThat(run("b")).isNull();
  }

  @Test
  void aMalformedRecordIsKeptWithWhyInsteadOfFailing() {
    index.apply(new ConsumerRecord<>(TOPIC, 0, 7, "c".getBytes(UTF_8), "{\"v\":99}".getBytes(UTF_8)));
    assertThat(run("c").status()).isEqualTo("malformed");
    assertThat(run("c").error()).contains("journal record c at orders-saga-journal-0@7", "format version 99");
    tombstone("d", "completed", null, null);
    assertThat(run("d").status()).as("an end whose start was never seen").isEqualTo("completed");
    assertThat(run("d").summary().path("saga").isNull()).isTrue();
  }

  @Test
  void filtersMatchStatusSagaTopicAndTransactionIdSubstrings() {
    value("e", journal("e"));
    SagaRun r = run("e");
    assertThat(r.matches(null, null, null, null)).isTrue();
    assertThat(r.matches("running", "OrderSaga", "orders", "TX-E")).isTrue();
    assertThat(r.matches("waiting", null, null, null)).isFalse();
    assertThat(r.matches(null, "PaymentSaga", null, null)).isFalse();
    assertThat(r.matches(null, null, "payments", null)).isFalse();
    assertThat(r.matches(null, null, null, "tx-zzz")).isFalse();
  }
}
