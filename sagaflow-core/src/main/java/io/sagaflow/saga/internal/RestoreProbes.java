package io.sagaflow.saga.internal;

import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The probes of the runs a restore found waiting in the journal ({@link RestoreProbe}), for a
 * durable saga consumer with eviction on: each run is left evicted ({@link
 * Evictions#restoreEvicted}) when its probe stops at the wait it was in, and resumed otherwise.
 *
 * <p>Design. A restore may find 100,000 waiting runs, so only their journal bytes wait in a queue,
 * and at most {@link #CONCURRENT_PROBES} probes run at once (each holds a replayed run in memory
 * while it lasts); one that does not decide within {@link #PROBE_TIMEOUT} is stopped and its run
 * resumed. A run being probed holds its transaction (a record of it waits, as for a resident run)
 * and counts against the consumer's bound. Once every run of a partition was handed over and
 * decided, the partition's evicted runs get their reply catch-up ({@link
 * Evictions#catchUpRestored}). A revoked partition's probes are stopped ({@link #drop}).
 *
 * <p>Threading. Loop thread only; a probe's end comes back as a command for it.
 */
final class RestoreProbes<P> {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);

  /** What the probes need of the consumer's runs. */
  interface Runs {
    /** The journal {@code value}, or null when it cannot be decoded (it is then dead-lettered). */
    SagaJournal decoded(int partition, String key, byte[] value);

    /** Resumes the run journaled as {@code journal}. */
    void resume(int partition, String key, SagaJournal journal);
  }

  /** The most probes of restored runs running at once: each holds a replayed run in memory while it lasts. */
  static final int CONCURRENT_PROBES = 64;

  /**
   * How long a probe may run: saga code between effects is meant to be quick, but one that blocks
   * (I/O outside a call) must not hold a probe slot, and with it the restore, for good.
   */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

  /** A restored run to probe, or being probed ({@link #add}). */
  private static final class Probing {
    final int partition;
    final String key;
    final byte[] value;
    /** Set while its probe runs. */
    SagaEngine.SagaRun run;
    SagaJournal journal;
    Timer.Scheduled timeout;

    Probing(int partition, String key, byte[] value) {
      this.partition = partition;
      this.key = key;
      this.value = value;
    }
  }

  /** Restored runs to probe or being probed, by transaction id. */
  private final Map<String, Probing> probing = new HashMap<>();
  /** Transaction ids of the runs in {@link #probing} whose probe has not started. */
  private final ArrayDeque<String> toProbe = new ArrayDeque<>();
  /** Probes running. */
  private int running;
  /** Probes not decided yet, by partition: its catch-up starts when none is left. */
  private final Map<Integer, Integer> undecided = new HashMap<>();
  /** Partitions whose every journaled run was handed to {@link #add}, their catch-up not started. */
  private final Set<Integer> restoredAll = new HashSet<>();

  private final Saga<P> saga;
  private final Class<P> payloadType;
  private final ActionCodec codec;
  private final Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory;
  private final SagaEngine engine;
  private final JournalRecorder recorder;
  private final Evictions evictions;
  private final Timer timer;
  private final Consumer<Runnable> commands;
  private final Runs runs;

  RestoreProbes(Saga<P> saga, Class<P> payloadType, ActionCodec codec,
      Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory, SagaEngine engine, JournalRecorder recorder,
      Evictions evictions, Timer timer, Consumer<Runnable> commands, Runs runs) {
    this.saga = saga;
    this.payloadType = payloadType;
    this.codec = codec;
    this.contextFactory = contextFactory;
    this.engine = engine;
    this.recorder = recorder;
    this.evictions = evictions;
    this.timer = timer;
    this.commands = commands;
    this.runs = runs;
  }

  /** Queues the probe of the run journaled as {@code value} under {@code key}, and starts probes. */
  void add(int partition, String key, byte[] value, String transactionId) {
    probing.put(transactionId, new Probing(partition, key, value));
    toProbe.add(transactionId);
    undecided.merge(partition, 1, Integer::sum);
    startProbes();
  }

  /** Every run of {@code partition} in the journal was handed over. */
  void restored(int partition) {
    restoredAll.add(partition);
    catchUpIfDecided(partition);
  }

  /** Whether the run of {@code transactionId} waits for its probe or is being probed. */
  boolean holds(String transactionId) {
    return probing.containsKey(transactionId);
  }

  /** The runs waiting for their probe or being probed. */
  int size() {
    return probing.size();
  }

  private void catchUpIfDecided(int partition) {
    if (undecided.getOrDefault(partition, 0) == 0 && restoredAll.remove(partition)) {
      undecided.remove(partition);
      evictions.catchUpRestored(partition);
    }
  }

  private void startProbes() {
    while (running < CONCURRENT_PROBES && !toProbe.isEmpty()) {
      String transactionId = toProbe.poll();
      Probing p = probing.get(transactionId);
      SagaJournal journal = p == null ? null : runs.decoded(p.partition, p.key, p.value);
      if (journal == null) {
        if (p != null) {
          probing.remove(transactionId, p);
          undecided.merge(p.partition, -1, Integer::sum);
          catchUpIfDecided(p.partition);
        }
        continue;
      }
      RestoreProbe probe = new RestoreProbe(journal);
      ConsumerRecord<byte[], byte[]> record = DurableTopics.inputRecord(journal, codec);
      try {
        recorder.probe(probe);
      } catch (IllegalStateException x) {
        decided(p, journal, null); // resumed: the resume reports the conflict
        continue;
      }
      try {
        p.run = engine.probe(saga, codec.convert(journal.action(), payloadType), record,
            contextFactory.apply(record));
      } catch (RuntimeException x) {
        recorder.forget(transactionId);
        decided(p, journal, null); // resumed: the resume fails it as it would have failed before
        continue;
      }
      running++;
      p.journal = journal;
      p.timeout = timer.schedule(PROBE_TIMEOUT, () -> commands.accept(() -> probeTimedOut(transactionId, p)));
      p.run.done().whenComplete((v, e) -> commands.accept(() -> {
        if (probing.get(transactionId) == p) {
          p.timeout.cancel();
          running--;
          recorder.forget(transactionId);
          decided(p, journal, probe);
          startProbes();
        }
      }));
    }
  }

  /**
   * {@code p}'s probe ran for {@link #PROBE_TIMEOUT}: it is stopped and the run resumed. Should its
   * thread go on regardless, the recorder stops it at its next effect (it is no longer registered
   * as a probe, see {@link JournalRecorder#record}).
   */
  private void probeTimedOut(String transactionId, Probing p) {
    if (probing.get(transactionId) != p) {
      return;
    }
    LOG.warn("the restore's probe of saga {} (transaction {}) did not reach a wait within {}; resuming it instead."
        + " Does its code block between effects? Wrap such work in ctx.call", p.journal.sagaName(), transactionId,
        PROBE_TIMEOUT);
    p.run.cancel();
    running--;
    recorder.forget(transactionId);
    decided(p, p.journal, null);
    startProbes();
  }

  /** {@code p}'s probe ended ({@code probe}, or null when none ran): evicted if it waits, resumed otherwise. */
  private void decided(Probing p, SagaJournal journal, RestoreProbe probe) {
    probing.remove(journal.transactionId(), p);
    undecided.merge(p.partition, -1, Integer::sum);
    if (probe == null || !probe.waits()
        || !evictions.restoreEvicted(p.partition, p.key, p.value, journal, probe.topics())) {
      runs.resume(p.partition, p.key, journal);
    }
    catchUpIfDecided(p.partition);
  }

  /** Stops the probes of {@code partitions} (their threads go to {@code stopped}) and forgets their runs. */
  void drop(Collection<Integer> partitions, List<SagaEngine.SagaRun> stopped) {
    probing.entrySet().removeIf(e -> {
      Probing p = e.getValue();
      if (!partitions.contains(p.partition)) {
        return false;
      }
      if (p.run != null && !p.run.done().isDone()) {
        p.run.cancel();
        stopped.add(p.run);
      }
      if (p.run != null) {
        p.timeout.cancel();
        recorder.forget(e.getKey());
        running--;
      }
      return true;
    });
    toProbe.removeIf(tx -> !probing.containsKey(tx));
    partitions.forEach(undecided::remove);
    restoredAll.removeAll(partitions);
  }
}
