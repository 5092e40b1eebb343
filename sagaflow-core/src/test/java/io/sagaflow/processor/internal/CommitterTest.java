package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.clients.consumer.internals.NoAvailableBrokersException;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** What gets committed, when, and by which strategy: MockConsumer, MockProducer, fake clock. */
class CommitterTest {
  private static final TopicPartition P0 = tp(0);
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private final FakeTicker ticker = new FakeTicker();
  /** Async commits to fail as a consumer whose coordinator is gone fails them. */
  private int failAsyncCommits;
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
      if (failAsyncCommits > 0) {
        failAsyncCommits--;
        callback.onComplete(offsets, new RetriableCommitFailedException(new NoAvailableBrokersException()));
        return;
      }
      super.commitAsync(offsets, callback);
    }
  };
  private int commits;
  private int aborts;
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
        @Override
        public void commitTransaction() {
          super.commitTransaction();
          commits++;
        }

        @Override
        public void abortTransaction() {
          super.abortTransaction();
          aborts++;
        }
      };
  private final LoopStatus status = new LoopStatus(Metrics.NOOP);
  private Assignment assignment;
  private LoopParts<String, String> parts;

  private LoopParts<String, String> parts(ProcessorOptions<String, String> options) {
    KafkaClientFactory clients = new KafkaClientFactory() {
      @Override
      public Consumer<byte[], byte[]> consumer(Map<String, Object> properties) {
        return consumer;
      }

      @Override
      public Producer<byte[], byte[]> producer(Map<String, Object> properties) {
        return producer;
      }
    };
    ProcessorRuntime<String, String> runtime =
        new ProcessorRuntime<>(options, r -> { }, null, false, ticker, clients);
    consumer.assign(List.of(P0));
    assignment = new Assignment(runtime.inFlight, runtime.bytes);
    parts = new LoopParts<>("loop", runtime, options, consumer, assignment, status, Metrics.NOOP, ticker, clients);
    return parts;
  }

  private static ProcessorOptions<String, String> options() {
    return LoopHarness.options().withCommitInterval(INTERVAL);
  }

  /** A partition with offsets [0, n) in flight and {@code finished} of them done. */
  private static PartitionState state(TopicPartition tp, int n, long... finished) {
    PartitionState s = new PartitionState(tp, new OffsetTracker(-1, null), null);
    for (long o = 0; o < n; o++) {
      s.tracker.register(o);
    }
    for (long o : finished) {
      s.tracker.finished(o);
    }
    return s;
  }

  private Map<TopicPartition, OffsetAndMetadata> committed() {
    return consumer.committed(Set.of(P0));
  }

  // ---- what a commit carries ----

  @Test
  void aCommitStopsAtTheFirstUnfinishedRecordAndCarriesTheFinishedOnesAboveIt() {
    PartitionState s = state(P0, 10, 0, 1, 2, 5, 7, 8);
    Map<TopicPartition, OffsetAndMetadata> offsets = CommitOffsets.collect(List.of(s), 3000);
    OffsetAndMetadata om = offsets.get(P0);
    assertThat(om.offset()).isEqualTo(3);
    OffsetMetadataCodec.Ours ours = (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(om.metadata());
    assertThat(ours.base()).isEqualTo(3);
    assertThat(ours.finishedRanges()).containsExactly(5, 6, 7, 9);
    assertThat(s.overCap).isFalse();
  }

  @Test
  void nothingIsCommittedTwiceNorForAPartitionWithoutRecords() {
    PartitionState s = state(P0, 4, 0, 1);
    PartitionState empty = new PartitionState(tp(1), new OffsetTracker(-1, null), null);
    OffsetAndMetadata om = CommitOffsets.collect(List.of(s, empty), 3000).get(P0);
    assertThat(CommitOffsets.collect(List.of(s, empty), 3000)).containsOnlyKeys(P0);
    s.lastCommitted = om;
    assertThat(CommitOffsets.collect(List.of(s, empty), 3000)).isEmpty();
    s.tracker.finished(2);
    assertThat(CommitOffsets.collect(List.of(s), 3000).get(P0).offset()).isEqualTo(3);
  }

  @Test
  void metadataOverTheCapFlagsThePartitionUntilTheGapCloses() {
    int n = 400;
    PartitionState s = state(P0, n);
    for (long o = 1; o < n; o += 2) {
      s.tracker.finished(o); // every other record: one run pair each, far more than 32 chars hold
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = CommitOffsets.collect(List.of(s), 32);
    assertThat(s.overCap).isTrue();
    assertThat(offsets.get(P0).offset()).as("the offset itself is still committed").isEqualTo(0);
    assertThat(offsets.get(P0).metadata().length()).isLessThanOrEqualTo(32);

    for (long o = 0; o < n; o += 2) {
      s.tracker.finished(o);
    }
    offsets = CommitOffsets.collect(List.of(s), 32);
    assertThat(s.overCap).isFalse();
    assertThat(offsets.get(P0).offset()).isEqualTo(n);
  }

  // ---- periodic ----

  @Test
  void aRetriableAsyncCommitFailureIsSentAgainAtTheNextIntervalThoughNothingNewFinished() {
    // The broker-outage case: the commit fails while no broker answers, the input has stopped, and
    // the same offsets must still be committed once the coordinator is back.
    PeriodicCommitter c = new PeriodicCommitter(parts(options()));
    PartitionState s = assignment.put(P0, null);
    s.tracker.register(0);
    s.tracker.register(1);
    s.tracker.finished(0);
    s.outstanding = 1; // busy: only interval commits
    c.start(ticker.nanoTime());
    failAsyncCommits = 2;
    for (int i = 0; i < 2; i++) {
      ticker.advance(INTERVAL);
      c.onTurn(ticker.nanoTime());
      assertThat(committed()).isEmpty();
      assertThat(s.lastCommitted).as("a failed commit is forgotten").isNull();
    }

    ticker.advance(INTERVAL);
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(1);
  }

  /** A committer whose first periodic commit (of offset 1: record 0 finished) failed. */
  private PeriodicCommitter afterAFailedCommitOfOffset1() {
    PeriodicCommitter c = new PeriodicCommitter(parts(options()));
    PartitionState s = assignment.put(P0, null);
    s.tracker.register(0);
    s.tracker.register(1);
    s.tracker.finished(0);
    s.outstanding = 1;
    c.start(ticker.nanoTime());
    failAsyncCommits = 1;
    ticker.advance(INTERVAL);
    c.onTurn(ticker.nanoTime());
    return c;
  }

  @Test
  void aCommitFailureIsTheLastErrorOnlyUntilACommitSucceedsAgain() {
    // After a broker outage the status must not keep reporting the outage's commit failure.
    PeriodicCommitter c = afterAFailedCommitOfOffset1();
    assertThat(parts.runtime().status().lastError()).get()
        .isInstanceOf(RetriableCommitFailedException.class);

    ticker.advance(INTERVAL);
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(1);
    assertThat(parts.runtime().status().lastError()).isEmpty();
  }

  @Test
  void anErrorRecordedAfterTheCommitFailureStaysTheLastError() {
    PeriodicCommitter c = afterAFailedCommitOfOffset1();
    IllegalStateException other = new IllegalStateException("a later, unrelated error");
    parts.runtime().recordError(other);

    ticker.advance(INTERVAL);
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(1);
    assertThat(parts.runtime().status().lastError()).containsSame(other);
  }

  @Test
  void periodicCommitsByTheIntervalWhileBusy() {
    PeriodicCommitter c = new PeriodicCommitter(parts(options()));
    PartitionState s = assignment.put(P0, null);
    s.tracker.register(0);
    s.tracker.register(1);
    s.tracker.finished(0);
    s.outstanding = 1; // busy: no idle commit
    c.start(ticker.nanoTime());
    ticker.advance(INTERVAL.minusMillis(1));
    c.onTurn(ticker.nanoTime());
    assertThat(committed()).isEmpty();
    assertThat(c.capPark(ticker.nanoTime(), 20_000_000L)).isEqualTo(1_000_000L);

    ticker.advance(Duration.ofMillis(1));
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(1);
    status.publish(assignment, new Pauses(consumer, assignment, 1, 1, 1), consumer);
    assertThat(status.snapshot().committed()).containsEntry(P0, 1L);
  }

  @Test
  void anIdleLoopCommitsAtOnceButAtMostEveryTenthOfTheInterval() {
    PeriodicCommitter c = new PeriodicCommitter(parts(options()));
    PartitionState s = assignment.put(P0, null);
    c.start(ticker.nanoTime());
    s.tracker.register(0);
    s.tracker.finished(0);
    c.onTurn(ticker.nanoTime()); // idle: nothing in flight, nothing waiting
    assertThat(committed().get(P0).offset()).isEqualTo(1);

    s.tracker.register(1);
    s.tracker.finished(1);
    ticker.advance(INTERVAL.dividedBy(10).minusMillis(1));
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).as("within a tenth of the interval").isEqualTo(1);

    ticker.advance(Duration.ofMillis(1));
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(2);

    s.tracker.register(2);
    s.tracker.finished(2);
    s.backlog = List.of(); // records waiting: not idle
    ticker.advance(INTERVAL.dividedBy(10));
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(2);
  }

  @Test
  void revokedPartitionsAreCommittedAtOnce() {
    PeriodicCommitter c = new PeriodicCommitter(parts(options()));
    c.start(ticker.nanoTime());
    PartitionState s = state(P0, 3, 0, 1);
    c.onRevoked(List.of(s));
    assertThat(committed().get(P0).offset()).isEqualTo(2);
    assertThat(s.lastCommitted.offset()).isEqualTo(2);
  }

  // ---- sync per batch and none ----

  @Test
  void batchCommitsEveryTurnAndNeverBoundsAPark() {
    BatchCommitter c = new BatchCommitter(parts(options()));
    PartitionState s = assignment.put(P0, null);
    s.outstanding = 5;
    c.start(ticker.nanoTime());
    s.tracker.register(0);
    s.tracker.finished(0);
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(1);
    s.tracker.register(1);
    s.tracker.finished(1);
    c.onTurn(ticker.nanoTime());
    assertThat(committed().get(P0).offset()).isEqualTo(2);
    assertThat(c.capPark(ticker.nanoTime() + INTERVAL.toNanos() * 5, 20_000_000L)).isEqualTo(20_000_000L);
  }

  @Test
  void noneNeverCommits() {
    NoCommitter c = new NoCommitter();
    parts(options());
    PartitionState s = assignment.put(P0, null);
    s.tracker.register(0);
    s.tracker.finished(0);
    c.start(ticker.nanoTime());
    ticker.advance(INTERVAL.multipliedBy(3));
    c.onTurn(ticker.nanoTime());
    c.whileDraining(ticker.nanoTime());
    c.onRevoked(List.of(s));
    c.onClose();
    assertThat(committed()).isEmpty();
  }

  // ---- transactional ----

  private TransactionalCommitter transactional(Runnable applyCommands) {
    ProcessorOptions<String, String> options = options().withExactlyOnce(ExactlyOnce.defaults());
    return new TransactionalCommitter(parts(options), "tx-0", applyCommands);
  }

  @Test
  void aTransactionCarriesTheOffsetsOfWhatFinished() {
    int[] applied = new int[1];
    TransactionalCommitter c = transactional(() -> applied[0]++);
    assertThat(producer.transactionInFlight()).isTrue();
    PartitionState s = assignment.put(P0, null);
    c.start(ticker.nanoTime());
    s.tracker.register(0);
    s.tracker.register(1);
    s.tracker.finished(0);
    c.onTurn(ticker.nanoTime());
    assertThat(producer.consumerGroupOffsetsHistory()).isEmpty();

    ticker.advance(INTERVAL);
    c.onTurn(ticker.nanoTime());
    assertThat(applied[0]).as("completions applied under the closed gate").isEqualTo(1);
    assertThat(commits).isEqualTo(1);
    assertThat(producer.consumerGroupOffsetsHistory()).hasSize(1);
    assertThat(producer.consumerGroupOffsetsHistory().get(0).values().iterator().next().get(P0).offset())
        .isEqualTo(1);
    assertThat(producer.transactionInFlight()).as("the next transaction is open").isTrue();
  }

  @Test
  void theRecordCapEndsATransactionBeforeTheInterval() {
    TransactionalCommitter c = transactional(() -> { });
    PartitionState s = assignment.put(P0, null);
    c.start(ticker.nanoTime());
    s.tracker.register(0);
    s.tracker.finished(0);
    c.finished = ExactlyOnce.defaults().maxRecordsPerTransaction();
    c.onTurn(ticker.nanoTime());
    assertThat(commits).isEqualTo(1);
    assertThat(c.finished).isZero();
  }

  @Test
  void aFailedCommitAbortsAndRewindsToTheCommittedOffset() {
    TransactionalCommitter c = transactional(() -> { });
    consumer.commitSync(Map.of(P0, new OffsetAndMetadata(3)));
    consumer.updateBeginningOffsets(Map.of(P0, 0L));
    PartitionState s = assignment.put(P0, new OffsetAndMetadata(3));
    c.start(ticker.nanoTime());
    s.tracker.register(3);
    s.tracker.register(4);
    s.tracker.finished(3);
    s.tracker.finished(4);
    consumer.seek(P0, 5);
    producer.commitTransactionException = new KafkaException("broker said no");
    ticker.advance(INTERVAL);
    c.onTurn(ticker.nanoTime());

    assertThat(aborts).isEqualTo(1);
    assertThat(commits).isZero();
    assertThat(producer.transactionInFlight()).as("a new transaction is open").isTrue();
    assertThat(s.detached).as("the old epoch's late completions are ignored").isTrue();
    PartitionState fresh = assignment.get(P0);
    assertThat(fresh).isNotSameAs(s);
    assertThat(fresh.tracker.commitOffset()).isEqualTo(3);
    assertThat(consumer.position(P0)).as("records of the aborted transaction run again").isEqualTo(3);
  }
}
