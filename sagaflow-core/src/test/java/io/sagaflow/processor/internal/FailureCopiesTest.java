package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The decisions of {@link FailureCopies} (which copies are given up, which written), without a broker. */
class FailureCopiesTest {
  private static final TopicPartition TP = new TopicPartition("orders", 0);

  /** Rejects every record to {@code orders-bad}; records to {@code orders-collateral} fail as if aborted once. */
  private static final class RejectingProducer extends MockProducer<byte[], byte[]> {
    int collateralLeft = 1;

    RejectingProducer() {
      super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> r, Callback callback) {
      if (r.topic().equals("orders-bad")) {
        return CompletableFuture.failedFuture(new RecordTooLargeException("too large for the topic"));
      }
      if (r.topic().equals("orders-collateral") && collateralLeft-- > 0) {
        return CompletableFuture.failedFuture(new TransactionAbortedException("aborted: another write failed"));
      }
      return super.send(r, callback);
    }
  }

  /** The committer's side: counts aborts and what was finished. */
  private static final class FakeTransaction implements FailureCopies.Transaction {
    final RejectingProducer producer = new RejectingProducer();
    final List<Long> finished = new ArrayList<>();
    int aborts;

    @Override
    public Producer<byte[], byte[]> producer() {
      return producer;
    }

    @Override
    public boolean abort(Throwable cause) {
      aborts++;
      return true;
    }

    @Override
    public void finished(Delivery<?, ?> d) {
      finished.add(d.raw.offset());
    }
  }

  private final PartitionState state = new PartitionState(TP, new OffsetTracker(-1, null), null);

  private FailureCopies.Handoff handoff(long offset, String copyTopic, List<CompletableFuture<RecordMetadata>> futures) {
    Delivery<String, String> d = new Delivery<>(new ConsumerRecord<>(TP.topic(), TP.partition(), offset, null, new byte[1]),
        state, null, 0L, null, Set.of(TP), 1);
    CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
    futures.add(f);
    return new FailureCopies.Handoff(d, List.of(new Delivery.Output(new ProducerRecord<>(copyTopic, new byte[1]), f)));
  }

  private static final CompletionReporter WORKER = new CompletionReporter() {};

  @Test
  void aRejectedCopyIsGivenUpAloneWhileTheOthersAreWrittenInAFreshTransaction() {
    FailureCopies copies = new FailureCopies(Duration.ofSeconds(1));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    FailureCopies.Handoff bad = handoff(5, "orders-bad", futures);
    FailureCopies.Handoff good = handoff(6, "orders-dlt", futures);
    copies.add(bad);
    copies.add(good);
    FakeTransaction txn = new FakeTransaction();

    copies.write(txn);

    assertThat(bad.await(WORKER)).isEqualTo(FailureCopies.FAILED);
    assertThat(bad.error().getMessage()).contains("orders-bad rejects writes", "RecordTooLargeException",
        "max.message.bytes", "orders-0@5");
    assertThat(bad.error().getCause()).isInstanceOf(RecordTooLargeException.class);
    assertThat(futures.get(0)).isCompletedExceptionally();
    assertThat(good.await(WORKER)).isEqualTo(FailureCopies.WRITTEN);
    assertThat(futures.get(1)).isCompleted().isNotCompletedExceptionally();
    // One abort (the transaction with the rejected copy), then the good copy alone, finished.
    assertThat(txn.aborts).isEqualTo(1);
    assertThat(txn.finished).containsExactly(6L);
    assertThat(copies.isEmpty()).isTrue();
  }

  @Test
  void aCopyThatFailedOnlyBecauseTheTransactionAbortedIsTriedAgain() {
    FailureCopies copies = new FailureCopies(Duration.ofSeconds(1));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    FailureCopies.Handoff bad = handoff(5, "orders-bad", futures);
    FailureCopies.Handoff hit = handoff(6, "orders-collateral", futures);
    copies.add(bad);
    copies.add(hit);
    FakeTransaction txn = new FakeTransaction();

    copies.write(txn);

    assertThat(bad.await(WORKER)).isEqualTo(FailureCopies.FAILED);
    assertThat(hit.await(WORKER)).isEqualTo(FailureCopies.WRITTEN);
    assertThat(txn.finished).containsExactly(6L);
  }

  @Test
  void copiesOfARevokedRecordAreNotWritten() {
    FailureCopies copies = new FailureCopies(Duration.ofSeconds(1));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    FailureCopies.Handoff h = handoff(5, "orders-dlt", futures);
    copies.add(h);
    state.revoked = true;
    FakeTransaction txn = new FakeTransaction();

    copies.write(txn);

    assertThat(h.await(WORKER)).isEqualTo(FailureCopies.ABANDONED);
    assertThat(futures.getFirst()).isCancelled();
    assertThat(txn.producer.history()).isEmpty();
    assertThat(txn.finished).isEmpty();
  }

  @Test
  void aWorkerWhoseRecordIsAbandonedWithdrawsItsCopiesBeforeThePollThreadTakesThem() {
    FailureCopies copies = new FailureCopies(Duration.ofSeconds(1));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    FailureCopies.Handoff h = handoff(5, "orders-dlt", futures);
    copies.add(h);
    CompletionReporter halted = new CompletionReporter() {};
    halted.halted = true;

    assertThat(h.await(halted)).isEqualTo(FailureCopies.ABANDONED);
    FakeTransaction txn = new FakeTransaction();
    copies.write(txn);

    assertThat(txn.producer.history()).as("nothing sent for a withdrawn hand-off").isEmpty();
    assertThat(txn.finished).isEmpty();
  }
}
