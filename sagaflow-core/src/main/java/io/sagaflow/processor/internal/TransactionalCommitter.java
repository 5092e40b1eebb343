package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once: the loop's transactional producer, and one transaction at a time holding the
 * outputs of finished records and their input offsets ({@code sendOffsetsToTransaction} with the
 * consumer's group metadata, so a fenced zombie cannot commit).
 *
 * <p>Design: workers hand a finished record's outputs to the producer and report it finished
 * under the {@link TxnGate} ({@link #publishFinished}); the poll thread closes the gate to commit,
 * so the offsets it commits are exactly those of the records whose outputs are in the
 * transaction. A transaction ends every commit interval (counted from the end of the previous
 * commit) or after {@code maxRecordsPerTransaction} records. What a failure handler writes for a
 * record it finished (a retry or dead-letter copy) never joins a transaction holding other work:
 * {@link FailureCopies} writes it in a transaction of its own first, so a topic that rejects it
 * holds back that record only ({@link #handOff}). On any other failure (an output refused, a
 * commit that fails, partitions lost) the transaction is aborted, or the producer replaced when it
 * cannot abort, and every assigned partition is rewound to its committed offset: records whose
 * outputs were discarded run again and nothing committed runs twice.
 */
final class TransactionalCommitter implements Committer {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalCommitter.class);
  /** The longest a round of failure copies waits for acks, with the gate closed. */
  private static final Duration COPY_ACK_CAP = Duration.ofSeconds(10);

  private final TxnGate gate = new TxnGate();
  private final Consumer<byte[], byte[]> consumer;
  private final Assignment assignment;
  private final LoopStatus status;
  private final Metrics metrics;
  private final ProcessorRuntime<?, ?> runtime;
  private final ProcessorOptions<?, ?> options;
  private final Ticker ticker;
  private final KafkaClientFactory clients;
  private final Runnable applyCommands;
  private final String transactionalId;
  private final String name;
  private final long intervalNanos;
  private final int maxRecords;
  private final FailureCopies copies;
  private volatile Producer<byte[], byte[]> producer;
  /** A send was refused at once: the open transaction cannot commit. */
  private volatile Throwable poison;
  /** Records finished in the open transaction (their outputs are in it); poll thread only. */
  long finished;
  private long nextCommitNanos;

  /**
   * Starts the transactional producer.
   *
   * @param applyCommands applies the loop's pending commands (completions), so that a commit
   *     includes every record reported finished before the gate closed
   */
  TransactionalCommitter(LoopParts<?, ?> parts, String transactionalId, Runnable applyCommands) {
    this.consumer = parts.consumer();
    this.assignment = parts.assignment();
    this.status = parts.status();
    this.metrics = parts.metrics();
    this.runtime = parts.runtime();
    this.options = parts.options();
    this.ticker = parts.ticker();
    this.clients = parts.clients();
    this.name = parts.name();
    this.applyCommands = applyCommands;
    this.transactionalId = transactionalId;
    this.intervalNanos = options.commitInterval().toNanos();
    this.maxRecords = options.exactlyOnce().maxRecordsPerTransaction();
    Duration half = options.exactlyOnce().transactionTimeout().dividedBy(2);
    this.copies = new FailureCopies(half.compareTo(COPY_ACK_CAP) < 0 ? half : COPY_ACK_CAP);
    this.producer = newProducer();
  }

  @Override
  public void start(long now) {
    nextCommitNanos = now + intervalNanos;
  }

  @Override
  public void onTurn(long now) {
    if (now - nextCommitNanos >= 0 || finished >= maxRecords || !copies.isEmpty()) {
      commit();
      // Counted from the end of the commit, as Kafka Streams does: the commit blocks the
      // transaction's workers, so counting from its start would leave less than the interval
      // for processing whenever a commit is slow.
      nextCommitNanos = ticker.nanoTime() + intervalNanos;
    }
  }

  @Override
  public long capPark(long now, long waitNanos) {
    if (!copies.isEmpty()) {
      return 0;
    }
    return Math.min(waitNanos, Math.max(0, nextCommitNanos - now));
  }

  @Override
  public void onRevoked(List<PartitionState> revoked) {
    gate.close();
    try {
      commitGated(revoked);
      revoked.forEach(assignment::detach);
    } finally {
      gate.open();
    }
  }

  @Override
  public void onLost(List<PartitionState> lost, Collection<TopicPartition> partitions) {
    // The generation is gone, this transaction can no longer commit its offsets. Abort it; the
    // partitions we still own rewind, as their outputs in it are gone too.
    gate.close();
    try {
      lost.forEach(assignment::detach);
      abortAndRewind(new KafkaException("partitions " + partitions + " were lost"));
    } finally {
      gate.open();
    }
  }

  @Override
  public void whileDraining(long now) {
    if (now - nextCommitNanos >= 0 || !copies.isEmpty()) {
      commit();
      nextCommitNanos = now + intervalNanos;
    }
  }

  @Override
  public void onClose() {
    gate.close();
    boolean committed;
    try {
      committed = commitGated(List.of());
      assignment.states().forEach(assignment::detach);
    } finally {
      gate.open();
    }
    copies.abandonAll();
    if (committed && finished == 0) {
      abortEmptyTransaction();
    }
    closeProducer();
  }

  /**
   * Ends the transaction begun by the last commit, which holds nothing (no record finished into it,
   * and every assignment is detached, so none will), before the producer closes: the client aborts
   * an empty transaction at once (about 1 ms), whereas {@code close} with one still open waits
   * out its whole timeout (10 s per loop, measured with kafka-clients 4.3) before giving up on it. A
   * transaction that still holds outputs (finished above a gap whose offsets could not be
   * committed) is left to {@code close}, as before: aborting it would need the broker.
   */
  private void abortEmptyTransaction() {
    Producer<byte[], byte[]> p = producer;
    if (p == null) {
      return;
    }
    try {
      p.abortTransaction();
    } catch (KafkaException | IllegalStateException e) {
      // closed anyway below; the broker aborts whatever stays open
      LOG.debug("{}: aborting the empty transaction before close failed: {}", name, e.toString());
    }
  }

  @Override
  public void abandon() {
    copies.abandonAll();
    closeProducer();
  }

  /**
   * CompletionReporter: hands the outputs of a finished record to the open transaction and reports the record
   * finished, both under the gate, so they commit or abort together. A record whose assignment
   * ended (revoked, lost, rewound) publishes nothing: it is processed again.
   */
  void publishFinished(Delivery<?, ?> d, CompletionReporter w) {
    List<Delivery.Output> outputs = d.takeOutputs();
    gate.enter();
    try {
      Producer<byte[], byte[]> p = producer;
      if (d.state.detached || p == null) {
        Delivery.failOutputs(outputs, "its partition was revoked or its transaction aborted; it is processed again");
        w.dropped(d);
      } else {
        try {
          if (outputs != null) {
            for (Delivery.Output o : outputs) {
              p.send(o.record(), Delivery.completer(o.future()));
            }
          }
        } catch (RuntimeException e) {
          poison = e; // the transaction aborts at its commit point and the records run again
          Delivery.failOutputs(outputs, e.toString());
        }
        w.finished(d);
      }
      w.flush();
    } finally {
      gate.exit();
    }
  }

  /**
   * Worker, for a record whose failure handler decided done after sending copies of it (through
   * {@code record.send}): hands the copies to the poll thread instead of to the open transaction.
   * The caller then waits ({@link FailureCopies.Handoff#await}) until they are written with the
   * record finished, could not be written (the record stays unfinished) or the record was given up.
   */
  FailureCopies.Handoff handOff(Delivery<?, ?> d, CompletionReporter w) {
    FailureCopies.Handoff h = new FailureCopies.Handoff(d, d.takeOutputs());
    w.flush();
    d.loop.enqueue(new Command.Copies(h));
    return h;
  }

  /** Poll thread: a worker handed copies over ({@link Command.Copies}). */
  void copiesHandedOver(FailureCopies.Handoff h) {
    copies.add(h);
  }

  private void commit() {
    gate.close();
    try {
      commitGated(List.of());
    } finally {
      gate.open();
    }
  }

  /**
   * Gate closed: commits what finished (of the assigned partitions and {@code extra}) with their
   * outputs, or on any failure aborts and rewinds; then writes the failure copies handed over, in
   * the transaction that begins. Returns true if committed.
   */
  boolean commitGated(Collection<PartitionState> extra) {
    applyCommands.run();
    boolean committed = commitFinished(extra);
    if (!copies.isEmpty()) {
      copies.write(copyTransaction);
    }
    return committed;
  }

  private boolean commitFinished(Collection<PartitionState> extra) {
    Throwable refused = poison;
    if (refused != null) {
      abortAndRewind(refused);
      return false;
    }
    Map<TopicPartition, PartitionState> all = new HashMap<>();
    for (PartitionState s : assignment.states()) {
      all.put(s.tp, s);
    }
    for (PartitionState s : extra) {
      all.put(s.tp, s);
    }
    Map<TopicPartition, OffsetAndMetadata> offsets =
        CommitOffsets.collect(all.values(), options.offsetMetadataMaxChars());
    if (offsets.isEmpty()) {
      // Outputs of records finished above a gap whose metadata is over its cap stay in the open
      // transaction (committing them without their offsets could duplicate them): keep counting.
      return true;
    }
    long start = ticker.nanoTime();
    try {
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      commitWithRetries();
    } catch (KafkaException e) {
      abortAndRewind(e);
      return false;
    }
    metrics.commitLatency(ticker.nanoTime() - start);
    offsets.forEach((tp, om) -> {
      all.get(tp).lastCommitted = om;
      if (assignment.contains(tp)) {
        status.committed(tp, om.offset());
      }
    });
    finished = 0;
    producer.beginTransaction();
    return true;
  }

  /** What {@link FailureCopies} may do with the open transaction; gate closed. */
  private final FailureCopies.Transaction copyTransaction = new FailureCopies.Transaction() {
    @Override
    public Producer<byte[], byte[]> producer() {
      return producer;
    }

    @Override
    public boolean abort(Throwable cause) {
      if (finished > 0) {
        abortAndRewind(cause); // the copies shared the transaction with finished work
        return false;
      }
      try {
        producer.abortTransaction();
        producer.beginTransaction();
        return true;
      } catch (KafkaException e) {
        abortAndRewind(e);
        return false;
      }
    }

    @Override
    public void finished(Delivery<?, ?> d) {
      PartitionState s = d.state;
      s.tracker.finished(d.raw.offset());
      s.outstanding--;
      s.outstandingBytes -= d.bytes;
      runtime.inFlight.decrementAndGet();
      runtime.bytes.addAndGet(-d.bytes);
      finished++;
    }
  };

  /** A commit that timed out may still complete: it is retried, never abandoned half-way. */
  private void commitWithRetries() {
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        return;
      } catch (TimeoutException e) {
        if (attempt == 5) {
          throw e;
        }
        LOG.warn("{}: commitTransaction timed out (attempt {}); retrying", name, attempt);
      }
    }
  }

  /**
   * Gate closed: aborts the open transaction (or, if the producer cannot, replaces it: a new
   * producer with the same transactional id ends whatever its predecessor left open), then rewinds
   * every assigned partition to its committed offset as the broker has it, so records whose
   * outputs were discarded run again and nothing committed runs twice.
   */
  private void abortAndRewind(Throwable cause) {
    LOG.warn("{}: transaction failed, aborting it and processing again from the committed offsets: {}{}",
        name, cause.toString(), cause.getCause() == null ? "" : " (caused by " + cause.getCause() + ")");
    runtime.recordError(cause);
    boolean replace = cause instanceof ProducerFencedException
        || cause instanceof InvalidProducerEpochException;
    if (!replace) {
      try {
        producer.abortTransaction();
      } catch (KafkaException e) {
        replace = true;
      }
    }
    if (replace) {
      Producer<byte[], byte[]> old = producer;
      producer = null;
      old.close(Duration.ZERO);
      producer = newProducer();
    } else {
      producer.beginTransaction();
    }
    poison = null;
    finished = 0;
    if (assignment.isEmpty()) {
      return;
    }
    for (PartitionState s : assignment.states()) {
      assignment.detach(s);
    }
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(
        new HashSet<>(assignment.partitions()), options.exactlyOnce().transactionTimeout().plusSeconds(30));
    for (PartitionState old : List.copyOf(assignment.states())) {
      OffsetAndMetadata om = committed.get(old.tp);
      PartitionState fresh = assignment.put(old.tp, om);
      fresh.paused = old.paused;
      fresh.firstFetched = old.firstFetched;
      long to = om != null ? om.offset() : old.firstFetched;
      if (to >= 0) {
        consumer.seek(old.tp, to);
      }
    }
  }

  private Producer<byte[], byte[]> newProducer() {
    Producer<byte[], byte[]> p =
        clients.producer(ClientProperties.producer(options, transactionalId, transactionalId));
    try {
      p.initTransactions();
      p.beginTransaction();
    } catch (KafkaException e) {
      p.close(Duration.ZERO);
      throw new IllegalStateException("exactly-once: could not start a transactional producer with "
          + "transactional.id '" + transactionalId + "' at " + options.bootstrapServers() + ": " + e.getMessage()
          + ". Check that the brokers are reachable and support transactions (with a single broker, "
          + "transaction.state.log.replication.factor=1 and transaction.state.log.min.isr=1)", e);
    }
    return p;
  }

  private void closeProducer() {
    Producer<byte[], byte[]> p = producer;
    if (p != null) {
      producer = null;
      try {
        p.close(Duration.ofSeconds(10)); // an open transaction is aborted by the broker
      } catch (RuntimeException e) {
        LOG.warn("{}: closing the transactional producer failed: {}", name, e.toString());
      }
    }
  }
}
