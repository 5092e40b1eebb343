package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The journal writer's batches, with no broker: what one transaction carries, and when. */
class JournalWriterTest {
  private static final ActionCodec ACTIONS = ActionCodec.create();
  private static final JournalCodec CODEC = new JournalCodec(ACTIONS.mapper());
  private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
  private final JournalWriter writer = new JournalWriter("J", "ORDERS", CODEC, ACTIONS);

  private SagaJournal start(String tx, long offset) {
    writer.received(0, offset);
    InputPosition in = new InputPosition("ORDERS", 0, offset);
    SagaJournal journal = SagaJournal.start(in.runKey(), "order", in, Action.<JsonNode>of("ORDERS", tx, null), T0);
    writer.start(journal);
    return journal;
  }

  private static List<String> topics(JournalWriter.Batch batch) {
    return batch.records().stream().map(ProducerRecord::topic).toList();
  }

  private static long committed(JournalWriter.Batch batch) {
    return batch.offsets().get(new TopicPartition("ORDERS", 0)).offset();
  }

  @Test
  void aPutIsWrittenOnlyWithTheEntryThatJournalsItAndTheInputOffsetWithTheStart() {
    writer.assigned(0, 5);
    SagaJournal run = start("tx-1", 5);
    writer.publish(Action.of("PAY", "tx-1", "p"));
    JournalWriter.Batch first = writer.drain(0);
    assertThat(first.records()).as("the run is between its put and the put's entry").isEmpty();
    assertThat(committed(first)).as("its start is not written: offset 5 stays uncommitted").isEqualTo(5);

    writer.append(run.runKey(), JournalEntry.pending("1", EffectKind.PUT, "PAY", T0, null).returned(null, null, 1));
    JournalWriter.Batch second = writer.drain(1);
    assertThat(topics(second)).containsExactly("PAY", "J");
    assertThat(CODEC.decode(second.records().get(1).value(), "test").entries()).extracting(JournalEntry::id)
        .containsExactly("1");
    assertThat(second.records().get(1).partition()).as("co-partitioned with the input").isZero();
    assertThat(committed(second)).isEqualTo(6);
  }

  @Test
  void aRecordWaitingBehindItsTransactionHoldsTheOffsetUntilSettled() {
    writer.assigned(0, 5);
    start("tx-1", 5);
    writer.received(0, 6); // same transaction: waits, not started
    assertThat(committed(writer.drain(0))).isEqualTo(6);
    writer.settle(0, 6, null);
    assertThat(committed(writer.drain(1))).isEqualTo(7);
  }

  @Test
  void anEndedRunLeavesATombstoneWithItsStatusJournalAndErrorAndItsDeadLetterInTheSameBatch() {
    writer.assigned(0, 0);
    SagaJournal run = start("tx-1", 0);
    writer.drain(0);
    writer.finish(run.runKey(), "kitchen closed", new ProducerRecord<>("ORDERS-dlt", new byte[0]));
    JournalWriter.Batch batch = writer.drain(1);
    assertThat(topics(batch)).containsExactly("J", "ORDERS-dlt");
    ProducerRecord<byte[], byte[]> tombstone = batch.records().get(0);
    assertThat(tombstone.value()).isNull();
    assertThat(new String(tombstone.key(), StandardCharsets.UTF_8)).isEqualTo("ORDERS-0@0");
    assertThat(new String(tombstone.headers().lastHeader(JournalWriter.STATUS_HEADER).value(),
        StandardCharsets.UTF_8)).isEqualTo("failed");
    assertThat(new String(tombstone.headers().lastHeader(JournalWriter.ERROR_HEADER).value(),
        StandardCharsets.UTF_8)).isEqualTo("kitchen closed");
    assertThat(CODEC.decode(tombstone.headers().lastHeader(JournalWriter.JOURNAL_HEADER).value(), "t").runKey())
        .isEqualTo("ORDERS-0@0");
  }

  @Test
  void aDroppedPartitionForgetsItsRunsAndTheirPutsFailAsCancelled() {
    writer.assigned(0, 0);
    start("tx-1", 0);
    assertThat(writer.drop(List.of(0))).containsExactly("tx-1");
    assertThat(writer.publish(Action.of("PAY", "tx-1", "p"))).isCompletedExceptionally();
    assertThat(writer.drain(0).records()).isEmpty();
    assertThat(writer.resident()).isZero();
  }

  @Test
  void aBurstOfRunsIsSplitIntoBoundedBatchesAndEachStartsOffsetWaitsForItsOwnBatch() {
    int runs = JournalWriter.MAX_BATCH_RECORDS + 10;
    writer.assigned(0, 0);
    for (int i = 0; i < runs; i++) {
      start("tx-" + i, i);
    }
    JournalWriter.Batch first = writer.drain(0);
    assertThat(first.records()).hasSize(JournalWriter.MAX_BATCH_RECORDS);
    assertThat(committed(first)).as("the offsets of starts not yet in a batch stay uncommitted")
        .isEqualTo(JournalWriter.MAX_BATCH_RECORDS);
    JournalWriter.Batch second = writer.drain(1);
    assertThat(second.records()).hasSize(10);
    assertThat(committed(second)).isEqualTo(runs);
  }
}
