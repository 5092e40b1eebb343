package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalEncoding;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.JournalSink;
import io.sagaflow.saga.internal.journal.ReplyPosition;
import io.sagaflow.saga.internal.journal.SagaJournal;
import io.sagaflow.tracing.Tracing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The journal side of a durable saga consumer: the {@link JournalSink} of its
 * {@link JournalRecorder} and the {@link ActionPublisher} of its engine. It writes nothing itself;
 * it queues, and {@link #drain} hands the consumer's loop thread one batch for one Kafka
 * transaction (group commit).
 *
 * <p>Design. Each resident run keeps its whole {@link SagaJournal} here; a change marks it dirty,
 * and a batch carries the latest state of every dirty run once (a compacted topic keeps one value
 * per run key): {@link JournalEncoding} encodes each piece of a run's history once, and a batch
 * encodes after it leaves the lock ({@code Out}), so saga threads never wait for encodings. A run's puts wait in the run until a batch takes them <em>together with</em> the
 * journal entries that record them: a put is counted when published and again when its entry is
 * appended, and a run whose counts differ (its thread is between the two) is left for the next
 * batch, so that a committed put always has its committed entry and a committed entry its put (a
 * replay never publishes a put twice nor skips one). A run unbalanced for over a second (a put
 * cancelled between the two) is written anyway.
 *
 * <p>Input offsets ({@link InputOffsets}): per input partition, the offsets of records received whose run's start is
 * not yet in a batch; a batch commits the lowest of them (or the next offset when none), so a
 * record's offset is committed in the transaction that journals its start, and a waiting saga
 * holds no record in flight. A batch carries the offsets of every assigned partition, so each
 * transaction is fenced by the group's generation (KIP-447), even one without a new start.
 *
 * <p>An ended run leaves a tombstone (null value) under its key, headers {@code sagaflow-status}
 * ({@code completed} or {@code failed}), {@code sagaflow-journal} (its final encoded journal) and,
 * for a failure, {@code sagaflow-error}; its remaining puts and its dead letter go in the same batch.
 */
public final class JournalWriter implements JournalSink, ActionPublisher {
  /** Header of a tombstone: how the run ended, {@code completed} or {@code failed}. */
  public static final String STATUS_HEADER = "sagaflow-status";
  /** Header of a tombstone: the run's final journal, as {@link JournalCodec#encode}. */
  public static final String JOURNAL_HEADER = "sagaflow-journal";
  /** Header of a failed run's tombstone: the failure's message. */
  public static final String ERROR_HEADER = "sagaflow-error";

  private static final long UNBALANCED_NANOS = TimeUnit.SECONDS.toNanos(1);
  /**
   * The most runs' records one batch takes (the rest wait for the next): a transaction of tens of
   * thousands of sagas (a burst, a rebuild) would take seconds and could outlive its timeout.
   */
  static final int MAX_BATCH_RECORDS = 5_000;

  private final String journalTopic;
  private final JournalCodec codec;
  private final ActionCodec actions;
  private final Tracing tracing;
  /**
   * Guards everything below. A lock, not a monitor: hundreds of saga threads take it briefly, and a
   * monitor's waiters spin on the two cores (~14% of a profiled JVM's CPU samples were saga threads
   * entering it) where a lock's waiting virtual threads unmount.
   */
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Run> runs = new HashMap<>();
  private final Map<String, Run> byTransaction = new HashMap<>();
  /** The runs with something to write (dirty, or puts waiting): a batch looks at these only. */
  private final Set<Run> pending = new LinkedHashSet<>();
  private final Map<Integer, List<Out>> ended = new HashMap<>();
  private final InputOffsets offsets;
  /** Told the run key of an entry appended for a run no longer here (see {@link #onOrphanAppend}). */
  private volatile Consumer<String> orphans = k -> {};

  /** A resident run's journal state. */
  private static final class Run {
    final String runKey;
    final int partition;
    final long inputOffset;
    final boolean restored;
    final JournalEncoding encoding;
    SagaJournal journal;
    boolean dirty;
    boolean startWritten;
    final List<ProducerRecord<byte[], byte[]>> puts = new ArrayList<>();
    int unjournaledPuts;
    long unbalancedSince;
    /** The actions its journaled takes returned: a reply catch-up does not deliver them again. */
    final TakenReplies consumed = new TakenReplies();

    Run(SagaJournal journal, int partition, long inputOffset, boolean restored, JournalCodec codec) {
      this.runKey = journal.runKey();
      this.encoding = new JournalEncoding(codec);
      this.journal = journal;
      this.partition = partition;
      this.inputOffset = inputOffset;
      this.restored = restored;
    }
  }

  /**
   * A record of the next batch. A journal value (a run's state, or a tombstone's header) is
   * encoded once the batch has left the lock, from the immutable journal taken under it: saga
   * threads queue meanwhile instead of waiting for thousands of encodings.
   *
   * @param ready the record, when it needs no encoding; else null
   * @param run the run whose journal is written
   * @param journal the state to write
   * @param status null for the run's state, else its tombstone's status ({@code completed}, {@code failed})
   * @param error a failed run's error, or null
   */
  private record Out(ProducerRecord<byte[], byte[]> ready, Run run, SagaJournal journal, String status,
      String error) {
    static Out ready(ProducerRecord<byte[], byte[]> record) {
      return new Out(record, null, null, null, null);
    }
  }

  /** What one transaction writes: records in order, then the input offsets. */
  public record Batch(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets) {}

  /** What a run's reply subscription needs: whether it was rebuilt, and its journal (positions, entries). */
  public record ReplyState(String runKey, boolean restored, SagaJournal journal) {}

  /**
   * A writer.
   *
   * @param journalTopic the journal topic
   * @param inputTopic the consumer's input topic
   * @param codec encodes journals
   * @param actions encodes puts
   */
  public JournalWriter(String journalTopic, String inputTopic, JournalCodec codec, ActionCodec actions) {
    this(journalTopic, inputTopic, codec, actions, Tracing.none());
  }

  /**
   * A writer whose puts get a producer span ({@code send <topic>}, kind {@code put}) whose context
   * they carry in their headers, so that traces nest across processes as with plain puts. The span
   * ends when the put is queued: the put becomes visible when its journal transaction commits.
   */
  public JournalWriter(String journalTopic, String inputTopic, JournalCodec codec, ActionCodec actions,
      Tracing tracing) {
    this.tracing = Objects.requireNonNull(tracing, "tracing");
    this.journalTopic = Objects.requireNonNull(journalTopic, "journalTopic");
    this.offsets = new InputOffsets(Objects.requireNonNull(inputTopic, "inputTopic"));
    this.codec = Objects.requireNonNull(codec, "codec");
    this.actions = Objects.requireNonNull(actions, "actions");
  }

  // ------------------------------------------------------------------ the consumer's loop thread

  /** Partition {@code partition} is assigned; its next offset to consume is {@code position}. */
  public void assigned(int partition, long position) {
    lock.lock();
    try {
      offsets.assigned(partition, position);
    } finally {
      lock.unlock();
    }
  }

  /** A record was received: its offset stays uncommitted until its run's start is written ({@link #settle}). */
  public void received(int partition, long offset) {
    lock.lock();
    try {
      offsets.received(partition, offset);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The consumer's position on {@code partition}: every record before it was {@link #received}.
   * It may pass the last record's offset + 1 (a transaction marker after a transactional
   * producer's records): committing it leaves no lag of 1 behind an idle input.
   */
  public void position(int partition, long position) {
    lock.lock();
    try {
      offsets.position(partition, position);
    } finally {
      lock.unlock();
    }
  }

  /** The record at {@code offset} needs nothing more (skipped, or its dead letter is queued here). */
  public void settle(int partition, long offset, ProducerRecord<byte[], byte[]> deadLetter) {
    lock.lock();
    try {
      if (deadLetter != null) {
        ended.computeIfAbsent(partition, p -> new ArrayList<>()).add(Out.ready(deadLetter));
      }
      offsets.written(partition, offset);
    } finally {
      lock.unlock();
    }
  }

  /** Registers a run rebuilt from the journal of {@code partition}. */
  public void resume(SagaJournal journal, int partition) {
    lock.lock();
    try {
      Run run = new Run(journal, partition, -1, true, codec);
      run.startWritten = true;
      for (JournalEntry e : journal.entries()) {
        consumed(run, e);
      }
      register(run);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The run ended: queues its last puts, its tombstone and its dead letter (or none).
   *
   * @param error the failure's message, or null for a completed run
   */
  public void finish(String runKey, String error, ProducerRecord<byte[], byte[]> deadLetter) {
    lock.lock();
    try {
      Run run = runs.remove(runKey);
      if (run == null) {
        return; // dropped meanwhile: the partition moved on
      }
      byTransaction.remove(run.journal.transactionId(), run);
      pending.remove(run);
      List<Out> out = ended.computeIfAbsent(run.partition, p -> new ArrayList<>());
      run.puts.forEach(put -> out.add(Out.ready(put)));
      out.add(new Out(null, run, run.journal, error == null ? "completed" : "failed", error));
      if (deadLetter != null) {
        out.add(Out.ready(deadLetter));
      }
      if (!run.startWritten) {
        offsets.written(run.partition, run.inputOffset);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Queues a tombstone for a journal record that cannot be resumed, and its dead letter. */
  public void discard(int partition, String runKey, String error, ProducerRecord<byte[], byte[]> deadLetter) {
    lock.lock();
    try {
      RecordHeaders headers = new RecordHeaders();
      headers.add(STATUS_HEADER, utf8("failed"));
      headers.add(ERROR_HEADER, utf8(error));
      List<Out> out = ended.computeIfAbsent(partition, p -> new ArrayList<>());
      out.add(Out.ready(new ProducerRecord<>(journalTopic, partition, null, utf8(runKey), null, headers)));
      out.add(Out.ready(deadLetter));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Forgets the runs and queued writes of {@code partitions} (revoked, lost, or to be rebuilt
   * after a failed transaction); returns the transaction ids of the dropped runs.
   */
  public List<String> drop(Collection<Integer> partitions) {
    lock.lock();
    try {
      List<String> dropped = new ArrayList<>();
      for (Iterator<Run> it = runs.values().iterator(); it.hasNext();) {
        Run run = it.next();
        if (partitions.contains(run.partition)) {
          it.remove();
          byTransaction.remove(run.journal.transactionId(), run);
          pending.remove(run);
          dropped.add(run.journal.transactionId());
        }
      }
      for (Integer p : partitions) {
        ended.remove(p);
        offsets.forget(p);
      }
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Evicts the idle run {@code runKey}: forgets it and returns its journal, encoded; or returns
   * null, keeping it, while anything of it waits for a batch (its start, an entry, a put) or it is
   * not here. A journal drained into a transaction that then fails is rebuilt with every run from
   * the committed journal, so the one returned is the one a rebuild must replay.
   */
  public byte[] evict(String runKey) {
    lock.lock();
    try {
      Run run = runs.get(runKey);
      if (run == null || !run.startWritten || pending.contains(run)) {
        return null;
      }
      runs.remove(runKey);
      byTransaction.remove(run.journal.transactionId(), run);
      return run.encoding.encode(run.journal);
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@code listener} is told (on the saga thread) the run key of an entry appended for a run that is
   * no longer here: a stopped thread got past a wait before it saw that it was stopped.
   */
  public void onOrphanAppend(Consumer<String> listener) {
    this.orphans = Objects.requireNonNull(listener, "listener");
  }

  /** The runs resident now. */
  public int resident() {
    lock.lock();
    try {
      return runs.size();
    } finally {
      lock.unlock();
    }
  }

  /** How many resident runs' journals pass {@code test} (for gauges: it holds the writer's lock meanwhile). */
  public int count(Predicate<SagaJournal> test) {
    lock.lock();
    try {
      int n = 0;
      for (Run run : runs.values()) {
        if (test.test(run.journal)) {
          n++;
        }
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Takes what is ready for the next transaction (at most about {@link #MAX_BATCH_RECORDS} records). */
  public Batch drain(long nowNanos) {
    List<Out> outs = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> commit;
    lock.lock();
    try {
      for (Iterator<Run> it = pending.iterator(); it.hasNext() && outs.size() < MAX_BATCH_RECORDS;) {
        Run run = it.next();
        if (run.unjournaledPuts > 0) {
          if (run.unbalancedSince == 0) {
            run.unbalancedSince = nowNanos;
          }
          if (nowNanos - run.unbalancedSince < UNBALANCED_NANOS) {
            continue; // its thread is between a put and the put's entry: both go in a later batch
          }
        }
        it.remove();
        run.unjournaledPuts = 0;
        run.unbalancedSince = 0;
        run.puts.forEach(put -> outs.add(Out.ready(put)));
        run.puts.clear();
        if (run.dirty) {
          outs.add(new Out(null, run, run.journal, null, null));
          run.dirty = false;
        }
        if (!run.startWritten) {
          run.startWritten = true;
          offsets.written(run.partition, run.inputOffset);
        }
      }
      ended.values().forEach(outs::addAll);
      ended.clear();
      commit = offsets.committable();
    } finally {
      lock.unlock();
    }
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(outs.size());
    for (Out o : outs) {
      records.add(o.ready() != null ? o.ready() : journalRecord(o));
    }
    return new Batch(records, commit);
  }

  private ProducerRecord<byte[], byte[]> journalRecord(Out o) {
    byte[] value = o.run().encoding.encode(o.journal());
    if (o.status() == null) {
      return new ProducerRecord<>(journalTopic, o.run().partition, utf8(o.run().runKey), value);
    }
    RecordHeaders headers = new RecordHeaders();
    headers.add(STATUS_HEADER, utf8(o.status()));
    headers.add(JOURNAL_HEADER, value);
    if (o.error() != null) {
      headers.add(ERROR_HEADER, utf8(o.error()));
    }
    return new ProducerRecord<>(journalTopic, o.run().partition, null, utf8(o.run().runKey), null, headers);
  }

  // ------------------------------------------------------------------ saga threads

  @Override
  public void start(SagaJournal journal) {
    if (journal.input() == null) {
      throw new IllegalArgumentException("a durable run starts from an input record; run " + journal.runKey()
          + " has no input position");
    }
    lock.lock();
    try {
      Run run = new Run(journal, journal.input().partition(), journal.input().offset(), false, codec);
      run.dirty = true;
      register(run);
      pending.add(run);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void append(String runKey, JournalEntry entry) {
    append(runKey, entry, null);
  }

  @Override
  public void append(String runKey, JournalEntry entry, byte[] encoded) {
    lock.lock();
    try {
      Run run = runs.get(runKey);
      if (run == null) {
        orphans.accept(runKey); // cheap: queues a command
        return; // dropped or evicted: its thread is being stopped, and journals nothing more
      }
      if (encoded != null) {
        run.encoding.seed(entry, encoded);
      }
      boolean added = run.journal.entry(entry.id()) == null;
      run.journal = run.journal.withEntry(entry);
      run.dirty = true;
      pending.add(run);
      if (entry.kind() == EffectKind.PUT && entry.status() != JournalEntry.Status.PENDING && added) {
        run.unjournaledPuts = Math.max(0, run.unjournaledPuts - 1);
      }
      consumed(run, entry);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void end(String runKey) {
    finish(runKey, null, null);
  }

  /** Queues {@code action} with its run's next journal write; completes at once (a put is visible at commit). */
  @Override
  public CompletableFuture<Void> publish(Action<?> action) {
    ProducerRecord<byte[], byte[]> record = actions.toRecord(action);
    tracing.send("put", record).end(null); // on the saga thread: the put effect's span is its parent
    lock.lock();
    try {
      Run run = byTransaction.get(action.transactionId());
      if (run == null) {
        return CompletableFuture.failedFuture(new SagaCancelledException("the saga of transaction "
            + action.transactionId() + " is no longer resident here (its partition moved): put to "
            + action.topic() + " dropped; the partition's next owner resumes the saga from its journal"));
      }
      run.puts.add(record);
      run.unjournaledPuts++;
      pending.add(run);
    } finally {
      lock.unlock();
    }
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Journals where {@code positions} stood when the run of {@code transactionId} subscribed to
   * them; only the first position of each partition is kept (a catch-up reads from the earliest).
   */
  public void replyPositions(String transactionId, String effectId, Map<TopicPartition, Long> positions) {
    lock.lock();
    try {
      Run run = byTransaction.get(transactionId);
      if (run == null) {
        return;
      }
      List<ReplyPosition> list = new ArrayList<>(run.journal.replyPositions());
      boolean changed = false;
      for (Map.Entry<TopicPartition, Long> e : positions.entrySet()) {
        boolean known = list.stream().anyMatch(
            p -> p.topic().equals(e.getKey().topic()) && p.partition() == e.getKey().partition());
        if (!known) {
          list.add(new ReplyPosition(effectId, e.getKey().topic(), e.getKey().partition(), e.getValue()));
          changed = true;
        }
      }
      if (changed) {
        SagaJournal j = run.journal;
        run.journal = new SagaJournal(j.version(), j.runKey(), j.sagaName(), j.transactionId(), j.input(), j.action(),
            j.startedAt(), j.entries(), list);
        run.dirty = true;
        pending.add(run);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The reply state of the run of {@code transactionId}, or null when it is not resident. */
  public ReplyState replyState(String transactionId) {
    lock.lock();
    try {
      Run run = byTransaction.get(transactionId);
      return run == null ? null : new ReplyState(run.runKey, run.restored, run.journal);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether {@code action} is a reply a journaled take of the run already returned; if so it is
   * crossed off (each journaled take excuses one equal action).
   */
  public boolean consumedAlready(String transactionId, Action<?> action) {
    lock.lock();
    try {
      Run run = byTransaction.get(transactionId);
      return run != null && run.consumed.crossOff(action);
    } finally {
      lock.unlock();
    }
  }

  private void consumed(Run run, JournalEntry e) {
    if (run.restored) {
      run.consumed.add(e, codec);
    }
  }

  private void register(Run run) {
    Run other = runs.putIfAbsent(run.runKey, run);
    if (other != null) {
      throw new IllegalStateException("run " + run.runKey + " is already resident");
    }
    byTransaction.put(run.journal.transactionId(), run);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
