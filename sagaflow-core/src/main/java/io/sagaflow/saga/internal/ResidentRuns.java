package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalDecodingException;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs a durable saga consumer holds in memory, by transaction id, and how each begins and
 * ends.
 *
 * <p>Design. A run begins from an input record ({@link #received}: journaled as new by {@link
 * JournalRecorder#begin}) or from its journal ({@link #resume}: after a restore, a rebuild or an
 * eviction, replaying its journaled effects); either way it runs on a virtual thread of the {@link
 * SagaEngine}. At most one run per transaction id is resident: a record whose transaction already
 * has one (resident or evicted) waits in a queue for it to end, and its offset, with the ones
 * after, stays uncommitted meanwhile. Input records whose run is already in the journal are
 * skipped by run key (the skip set of their partition, filled by {@link JournalRestore}). A run's
 * end is finished in the {@link JournalWriter} (a failure with its dead letter); a dropped run
 * (revoked, lost, rebuilt, evicted) ends without journaling anything, so its next owner, or its
 * rebuild, resumes it. Every dead letter is built in {@link #deadLetter} and counted there.
 *
 * <p>Threading. Loop thread only, including {@link #resume} when {@link Evictions} wakes a run: a
 * run's thread reports its end by queueing a command for the loop ({@code commands}). {@link
 * #resident}, {@link #evicted} and {@link #deadLetters} may be read by any thread.
 */
final class ResidentRuns<P> {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);

  private final String topic;
  private final String groupId;
  private final String journalTopic;
  private final String deadLetterTopic;
  private final Class<P> payloadType;
  private final Saga<P> saga;
  private final ActionCodec codec;
  private final Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory;
  private final Timer timer;
  private final JournalWriter writer;
  private final JournalRecorder recorder;
  private final DurableObservers observers;
  private final SagaEngine engine;
  /** Idle-run eviction, or null when every run stays resident. */
  private final Evictions evictions;
  /** The probes of restored runs, with eviction on; null without. */
  private final RestoreProbes<P> probes;
  private final Consumer<Runnable> commands;

  /** Resident runs by transaction id. */
  private final Map<String, Live> live = new HashMap<>();
  /** Records waiting for their transaction's resident run to end. */
  private final Map<String, ArrayDeque<ConsumerRecord<byte[], byte[]>>> queued = new HashMap<>();
  /** Run keys of input records to skip, by partition: their runs are in the journal. */
  private final Map<Integer, Set<String>> known = new HashMap<>();
  private final AtomicLong deadLetters = new AtomicLong();
  private volatile int resident;
  private volatile int evicted;

  private record Live(String runKey, int partition, SagaEngine.SagaRun run, ConsumerRecord<byte[], byte[]> record,
      boolean[] dropped, Evictions.Idle idle) {}

  /**
   * @param evictions idle-run eviction, or null
   * @param commands runs a command on the loop thread (soon)
   */
  ResidentRuns(DurableParts parts, Class<P> payloadType, Saga<P> saga, ActionCodec codec,
      Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory, Timer timer, SagaEngine engine,
      Evictions evictions, Consumer<Runnable> commands) {
    this.topic = parts.topic();
    this.groupId = parts.groupId();
    this.journalTopic = parts.journalTopic();
    this.deadLetterTopic = parts.deadLetterTopic();
    this.payloadType = payloadType;
    this.saga = saga;
    this.codec = codec;
    this.contextFactory = contextFactory;
    this.timer = timer;
    this.writer = parts.writer();
    this.recorder = parts.recorder();
    this.observers = parts.observers();
    this.engine = engine;
    this.evictions = evictions;
    this.commands = commands;
    this.probes = evictions == null ? null : new RestoreProbes<>(saga, payloadType, codec, contextFactory, engine,
        recorder, evictions, timer, commands, new RestoreProbes.Runs() {
          @Override
          public SagaJournal decoded(int partition, String key, byte[] value) {
            return ResidentRuns.this.decoded(partition, key, value);
          }

          @Override
          public void resume(int partition, String key, SagaJournal journal) {
            ResidentRuns.this.resume(partition, key, journal);
          }
        });
  }

  /** Any thread: the resident runs. */
  int resident() {
    return resident;
  }

  /** Any thread: the evicted runs, as of the loop's last sweep. */
  int evicted() {
    return evicted;
  }

  /** Any thread: the records and journals dead-lettered so far. */
  long deadLetters() {
    return deadLetters.get();
  }

  /** The runs held, resident, queued by transaction or evicted, for the backpressure limit. */
  int held() {
    return live.size() + queued.size() + (probes == null ? 0 : probes.size()) + (evictions == null ? 0 : evictions.size());
  }

  /** The partitions whose runs are known here (assigned and restored, or being restored). */
  Set<Integer> partitions() {
    return new HashSet<>(known.keySet());
  }

  /**
   * A new, empty skip set for {@code partition}, replacing its old one: {@link JournalRestore} adds
   * the run keys of the runs journaled there.
   */
  Set<String> skipSet(int partition) {
    Set<String> skip = new HashSet<>();
    known.put(partition, skip);
    return skip;
  }

  /** An input record: skipped when its run is journaled, queued behind its transaction's run, or launched. */
  void received(ConsumerRecord<byte[], byte[]> r) {
    writer.received(r.partition(), r.offset());
    InputPosition in = new InputPosition(r.topic(), r.partition(), r.offset());
    Set<String> skip = known.get(r.partition());
    if (skip != null && skip.remove(in.runKey())) {
      writer.settle(r.partition(), r.offset(), null); // its run is journaled: resumed, or already ended
      return;
    }
    Action<?> action;
    try {
      action = codec.decode(r);
    } catch (ActionDecodingException e) {
      writer.settle(r.partition(), r.offset(), deadLetter(r, e));
      counted(r, e);
      return;
    }
    if (live.containsKey(action.transactionId()) || (probes != null && probes.holds(action.transactionId()))
        || (evictions != null && evictions.holds(action.transactionId()))) {
      queued.computeIfAbsent(action.transactionId(), k -> new ArrayDeque<>()).add(r);
      return;
    }
    recorder.begin(in.runKey(), topic, in, action, timer.now());
    launch(in.runKey(), r.partition(), action, r);
  }

  /**
   * A run found in the journal by a restore. With eviction on, one whose journal holds a pending
   * wait is probed first ({@link RestoreProbes}): left evicted when its code, replayed, stops at
   * that wait, resumed otherwise. Every other run is resumed. {@link #restored} follows the
   * partition's last one.
   */
  void restore(int partition, String key, byte[] value) {
    if (probes == null) {
      resume(partition, key, value);
      return;
    }
    SagaJournal journal = decoded(partition, key, value);
    if (journal == null) {
      return;
    }
    if (!DurableObservers.waiting(journal) || probes.holds(journal.transactionId())) {
      resume(partition, key, journal); // it goes on live, or compensates
      return;
    }
    probes.add(partition, key, value, journal.transactionId());
  }

  /** Every run of {@code partition} in the journal was handed to {@link #restore}. */
  void restored(int partition) {
    if (probes != null) {
      probes.restored(partition);
    }
  }

  /** Resumes the run journaled as {@code value} under {@code key} (restored, or evicted and woken). */
  void resume(int partition, String key, byte[] value) {
    SagaJournal journal = decoded(partition, key, value);
    if (journal != null) {
      resume(partition, key, journal);
    }
  }

  /** The journal {@code value}, or null when it cannot be decoded: it is then dead-lettered. */
  SagaJournal decoded(int partition, String key, byte[] value) {
    try {
      return recorder.codec().decode(value, journalTopic + "-" + partition + " key " + key);
    } catch (JournalDecodingException x) {
      LOG.warn("saga journal record {} cannot be resumed, dead-lettered: {}", key, x.getMessage());
      writer.discard(partition, key, x.getMessage(), deadLetter(
          DurableTopics.journalRecord(journalTopic, partition, key, value), x));
      deadLetters.incrementAndGet();
      return null;
    }
  }

  /** Resumes the run journaled as {@code journal} (registers it with the recorder and the writer, starts it). */
  void resume(int partition, String key, SagaJournal journal) {
    ConsumerRecord<byte[], byte[]> record = DurableTopics.inputRecord(journal, codec);
    try {
      recorder.resume(journal);
    } catch (IllegalStateException x) {
      writer.discard(partition, key, x.getMessage(), deadLetter(record, x));
      counted(record, x);
      return;
    }
    writer.resume(journal, partition);
    launch(journal.runKey(), partition, journal.action(), record);
  }

  /** Starts the registered run {@code runKey} on the engine. */
  private void launch(String runKey, int partition, Action<?> raw, ConsumerRecord<byte[], byte[]> record) {
    boolean resumed = DurableObservers.resumed(writer, raw.transactionId());
    boolean[] dropped = {false};
    Evictions.Idle idle = evictions == null ? null : new Evictions.Idle();
    SagaEngine.SagaRun run;
    try {
      Action<P> action = codec.convert(raw, payloadType);
      Object userContext = contextFactory.apply(record);
      run = engine.start(idle == null ? saga : Evictions.bind(saga, idle), action, record, userContext, resumed);
    } catch (RuntimeException e) {
      recorder.forget(raw.transactionId());
      writer.finish(runKey, String.valueOf(e.getMessage()), deadLetter(record, e));
      counted(record, e);
      return;
    }
    Live l = new Live(runKey, partition, run, record, dropped, idle);
    live.put(raw.transactionId(), l);
    resident = live.size();
    observers.launched(resumed);
    run.done().whenComplete((v, e) -> {
      commands.accept(() -> ended(raw.transactionId(), l, e));
    });
  }

  private void ended(String transactionId, Live l, Throwable failure) {
    if (l.dropped()[0]) {
      return;
    }
    live.remove(transactionId, l);
    resident = live.size();
    recorder.forget(transactionId);
    JournalWriter.ReplyState state = writer.replyState(transactionId);
    observers.ended(state == null ? null : state.journal(), failure);
    if (failure == null) {
      writer.finish(l.runKey(), null, null);
    } else {
      writer.finish(l.runKey(), String.valueOf(failure.getMessage()), deadLetter(l.record(), failure));
      counted(l.record(), failure);
    }
    ArrayDeque<ConsumerRecord<byte[], byte[]>> waiting = queued.get(transactionId);
    if (waiting != null) {
      ConsumerRecord<byte[], byte[]> next = waiting.poll();
      if (waiting.isEmpty()) {
        queued.remove(transactionId);
      }
      if (next != null) {
        received(next);
      }
    }
  }

  /** The dead letter of {@code r}; every dead letter is built here once, so it is counted here. */
  private ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> r, Throwable error) {
    observers.deadLettered();
    return DurableTopics.deadLetter(r, error, deadLetterTopic, groupId);
  }

  private void counted(ConsumerRecord<byte[], byte[]> r, Throwable error) {
    deadLetters.incrementAndGet();
    LOG.warn("saga of {}-{}@{} dead-lettered to {}: {}", r.topic(), r.partition(), r.offset(), deadLetterTopic,
        error.toString());
  }

  /**
   * Stops the runs of {@code partitions} without journaling anything more, and forgets their queued
   * records, skip sets and evicted runs; with {@code wait}, waits up to 10 s for their threads.
   */
  void drop(Set<Integer> partitions, boolean wait) {
    writer.drop(partitions);
    List<SagaEngine.SagaRun> stopped = new ArrayList<>();
    live.entrySet().removeIf(e -> {
      Live l = e.getValue();
      if (!partitions.contains(l.partition())) {
        return false;
      }
      l.dropped()[0] = true;
      l.run().cancel();
      recorder.forget(e.getKey());
      stopped.add(l.run());
      return true;
    });
    queued.values().removeIf(q -> {
      q.removeIf(r -> partitions.contains(r.partition()));
      return q.isEmpty();
    });
    if (probes != null) {
      probes.drop(partitions, stopped);
    }
    partitions.forEach(known::remove);
    if (evictions != null) {
      evictions.drop(partitions);
    }
    resident = live.size();
    if (wait) {
      // A stopped thread must not publish into a run rebuilt under its transaction id.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int late = 0;
      for (SagaEngine.SagaRun run : stopped) {
        try {
          run.done().handle((v, e) -> null).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
          late++;
        }
      }
      if (late > 0) { // one line, not one per saga: a partition may hold 100,000
        LOG.warn("{} of {} stopped saga threads did not end within 10 s", late, stopped.size());
      }
    }
  }

  /** Evicts runs idle for {@code evictIdleAfter} (see {@link Evictions}), a bounded number per sweep. */
  void evictIdle() {
    if (evictions == null) {
      return;
    }
    long now = System.nanoTime();
    if (evictions.sweepDue(now)) {
      int count = 0;
      for (var it = live.entrySet().iterator(); it.hasNext() && count < Evictions.MAX_PER_SWEEP;) {
        Map.Entry<String, Live> e = it.next();
        Live l = e.getValue();
        if (evictions.evict(e.getKey(), l.runKey(), l.partition(), l.idle(), l.run(), now)) {
          l.dropped()[0] = true; // its thread is stopped: its end is not the saga's
          it.remove();
          count++;
        }
      }
      evictions.swept(now, count);
      resident = live.size();
    }
    evicted = evictions.size(); // also after wakes and drops
  }

  /** The partition numbers of {@code partitions}. */
  static Set<Integer> numbers(Collection<TopicPartition> partitions) {
    Set<Integer> out = new HashSet<>();
    partitions.forEach(tp -> out.add(tp.partition()));
    return out;
  }
}
