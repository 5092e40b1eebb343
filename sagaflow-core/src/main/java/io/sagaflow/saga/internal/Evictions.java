package io.sagaflow.saga.internal;

import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Idle-saga eviction of a durable saga consumer ({@code DurableOptions.withEvictIdleAfter}): a saga
 * that has waited long enough leaves memory as its journal and is rebuilt when something for it
 * arrives.
 *
 * <p>Design. <b>Idleness</b> is observed as the engine's {@link Activity}: each resident run has an
 * {@link Idle} counting its logical threads (its own, its branches') and those blocked in a
 * controlled wait (a take, a delay, a join of branches). The run's thread binds its {@code Idle}
 * in an inheritable thread local, so branch threads report to it too. A run is idle while all its
 * threads are blocked; the loop thread {@link #evict evicts} one idle for the configured time:
 *
 * <ol>
 *   <li>from its journal ({@link JournalWriter#replyState}) it takes the reply topics it subscribed
 *       to and its earliest live delay deadline (a pending delay under no finished race, all or
 *       call), and registers a cheap router subscription for replies of its transaction on those
 *       topics <em>before</em> anything is stopped, so a reply arriving from then on wakes it;
 *   <li>under the {@code Idle}'s lock (a thread leaving a wait takes it, so none can start a new
 *       effect meanwhile) it checks the run is still idle, takes its journal from the writer
 *       ({@link JournalWriter#evict}: refused while anything of it waits for a batch) and forgets it
 *       in the recorder: from then on an effect of the old thread fails without running;
 *   <li>it interrupts the thread (nothing is journaled, as for a revoked partition) and sets a
 *       timer for the deadline.
 * </ol>
 *
 * A reply on the registration, the deadline, or an entry the old thread appends after all (it got
 * past its wait just as it was evicted: {@link JournalWriter#onOrphanAppend}) <b>wakes</b> the run:
 * once its old thread has ended, it is resumed exactly as a restore after a crash resumes a run
 * ({@link Resumer}): a replay of the journal, then a catch-up of its reply topics from the
 * journaled positions that skips replies its journaled takes returned, then live. A reply that
 * reached the old thread but was not journaled is read again by that catch-up; one journaled is
 * skipped; so none is lost or delivered twice. A revocation forgets the evicted runs of its
 * partitions ({@link #drop}): the next owner restores them from the journal topic.
 *
 * <p>A <b>restore</b> registers runs as evicted directly ({@link #restoreEvicted}) when their
 * probe ({@link RestoreProbe}) stopped at a journaled wait, with the same registration and timer,
 * and has one {@link RestoreCatchUp} per restored partition look for the replies that arrived
 * while no owner was running.
 *
 * <p>Everything but the {@link Activity} callbacks, {@link #orphan} and the registration's sink
 * runs on the consumer's loop thread; those three only queue commands for it.
 */
final class Evictions implements Activity {
  /** The most runs one sweep evicts: each encodes its journal, and the loop thread also commits. */
  static final int MAX_PER_SWEEP = 1_000;
  private static final InheritableThreadLocal<Idle> CURRENT = new InheritableThreadLocal<>();

  /** Resumes a run from its encoded journal, as a restore does (loop thread). */
  @FunctionalInterface
  interface Resumer {
    void resume(int partition, String runKey, byte[] journal);
  }

  /** Whether a resident run is idle, and since when. */
  static final class Idle {
    private int threads;
    private int blocked;
    private boolean idle;
    private long since;

    private synchronized void change(int threadDelta, int blockedDelta) {
      threads += threadDelta;
      blocked += blockedDelta;
      boolean now = threads > 0 && blocked >= threads;
      if (now && !idle) {
        since = System.nanoTime();
      }
      idle = now;
    }

    /** Whether every thread of the run has been blocked for {@code nanos} or more (call holding the lock). */
    private boolean idleFor(long nowNanos, long nanos) {
      return idle && nowNanos - since >= nanos;
    }
  }

  /** An evicted run: what rebuilds it and what wakes it. */
  private static final class Evicted {
    final String transactionId;
    final String runKey;
    final int partition;
    final byte[] journal;
    ActionSource.Subscription replies;
    Timer.Scheduled deadline;
    CompletableFuture<Object> stopped;
    boolean awaitingStop;

    Evicted(String transactionId, String runKey, int partition, byte[] journal) {
      this.transactionId = transactionId;
      this.runKey = runKey;
      this.partition = partition;
      this.journal = journal;
    }
  }

  private final long idleNanos;
  private final long sweepNanos;
  private final JournalWriter writer;
  private final JournalRecorder recorder;
  private final KafkaReplyRouter router;
  private final Timer timer;
  private final Consumer<Runnable> loop;
  private final Resumer resumer;
  private final DurableReplies replies;
  /**
   * The runs the restores under way left evicted, by input partition, for each partition's catch-up
   * ({@link #catchUpRestored}): partitions restored at once decide in any order, and a catch-up wakes
   * only runs of its own partition.
   */
  private final Map<Integer, List<RestoreCatchUp.Run>> restoring = new HashMap<>();
  /** Catch-ups of restores still reading. */
  private final List<RestoreCatchUp> catchUps = new ArrayList<>();
  private final Map<String, Evicted> byRun = new HashMap<>();
  private final Map<String, Evicted> byTransaction = new HashMap<>();
  private long nextSweep = System.nanoTime();

  /**
   * @param idle how long a run stays idle before it is evicted
   * @param loop runs a command on the consumer's loop thread (soon)
   * @param resumer rebuilds an evicted run
   */
  Evictions(Duration idle, JournalWriter writer, JournalRecorder recorder, KafkaReplyRouter router,
      DurableReplies replies, Timer timer, Consumer<Runnable> loop, Resumer resumer) {
    this.idleNanos = idle.toNanos();
    // A few sweeps per idle time, at most one a second: each looks at every resident run.
    this.sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), idleNanos / 4));
    this.writer = writer;
    this.recorder = recorder;
    this.router = router;
    this.timer = timer;
    this.loop = loop;
    this.resumer = resumer;
    this.replies = replies;
    writer.onOrphanAppend(this::orphan);
  }

  // ------------------------------------------------------------------ Activity (saga threads)

  /** {@code saga}, reporting its threads and waits to {@code idle}. */
  static <P> Saga<P> bind(Saga<P> saga, Idle idle) {
    return (action, ctx) -> {
      CURRENT.set(idle);
      idle.change(1, 0); // the run's own thread: its threadStarted came from the loop thread
      saga.run(action, ctx);
    };
  }

  @Override
  public void threadStarted() {
    Idle idle = CURRENT.get();
    if (idle != null) {
      idle.change(1, 0);
    }
  }

  @Override
  public void threadEnded() {
    Idle idle = CURRENT.get();
    if (idle != null) {
      idle.change(-1, 0);
    }
  }

  @Override
  public void blocked(boolean controlled, String what) {
    Idle idle = controlled ? CURRENT.get() : null;
    if (idle != null) {
      idle.change(0, 1);
    }
  }

  @Override
  public void unblocked(boolean controlled, String what) {
    Idle idle = controlled ? CURRENT.get() : null;
    if (idle != null) {
      idle.change(0, -1);
    }
  }

  /** An entry was appended for a run no longer resident: if evicted, its old thread got past a wait. */
  void orphan(String runKey) {
    loop.accept(() -> {
      Evicted e = byRun.get(runKey);
      if (e != null) {
        wake(e);
      }
    });
  }

  // ------------------------------------------------------------------ the loop thread

  /** Whether a sweep over the resident runs is due. */
  boolean sweepDue(long nowNanos) {
    return nowNanos - nextSweep >= 0;
  }

  /** A sweep evicted {@code count} runs; the next comes soon when it stopped at {@link #MAX_PER_SWEEP}. */
  void swept(long nowNanos, int count) {
    nextSweep = nowNanos + (count >= MAX_PER_SWEEP ? 0 : sweepNanos);
  }

  /**
   * Evicts the resident run of {@code transactionId} if it has been idle long enough; returns
   * whether it did (the caller forgets the run as resident: its thread is being stopped).
   */
  boolean evict(String transactionId, String runKey, int partition, Idle idle, SagaEngine.SagaRun run,
      long nowNanos) {
    synchronized (idle) {
      if (!idle.idleFor(nowNanos, idleNanos)) {
        return false;
      }
    }
    JournalWriter.ReplyState state = writer.replyState(transactionId);
    if (state == null || !state.runKey().equals(runKey)) {
      return false;
    }
    Set<String> topics = replyTopics(state.journal());
    Instant deadline = deadline(state.journal());
    if (topics.isEmpty() && deadline == null) {
      return false; // nothing could wake it: it stays resident
    }
    Evicted[] holder = new Evicted[1];
    ActionSource.Subscription replies = topics.isEmpty() ? null
        : router.subscribeRecords(transactionId, topics, (record, action) -> loop.accept(() -> {
          if (holder[0] != null) {
            wake(holder[0]);
          }
        }));
    byte[] journal;
    synchronized (idle) {
      journal = idle.idleFor(System.nanoTime(), idleNanos) ? writer.evict(runKey) : null;
      if (journal != null) {
        recorder.forget(transactionId);
      }
    }
    if (journal == null) {
      if (replies != null) {
        replies.close();
      }
      return false;
    }
    run.cancel();
    Evicted e = new Evicted(transactionId, runKey, partition, journal);
    e.replies = replies;
    e.stopped = run.done();
    holder[0] = e;
    register(e, deadline);
    return true;
  }

  private void register(Evicted e, Instant deadline) {
    byRun.put(e.runKey, e);
    byTransaction.put(e.transactionId, e);
    if (deadline != null) {
      Duration left = Duration.between(timer.now(), deadline);
      e.deadline = timer.schedule(left.isNegative() ? Duration.ZERO : left, () -> loop.accept(() -> wake(e)));
    }
  }

  /**
   * Leaves a run that a restore found in the journal evicted instead of resuming it (its probe
   * stopped at a journaled wait, {@link RestoreProbe}, in takes from {@code waitedTopics}), when a
   * reply or a deadline can end that wait; returns whether it did. It is registered as an evicted
   * run is (a router subscription for replies of its transaction on the topics it subscribed to, a
   * timer for its deadline), and {@link #catchUpRestored} then looks for replies that arrived while
   * no owner was running.
   */
  boolean restoreEvicted(int partition, String runKey, byte[] bytes, SagaJournal journal, Set<String> waitedTopics) {
    Set<String> topics = journalTopics(journal);
    topics.addAll(waitedTopics);
    Instant deadline = deadline(journal);
    if (topics.isEmpty() && deadline == null) {
      return false;
    }
    Evicted e = new Evicted(journal.transactionId(), runKey, partition, bytes);
    e.stopped = CompletableFuture.completedFuture(null); // no thread of it runs
    if (!topics.isEmpty()) {
      try {
        e.replies = router.subscribeRecords(journal.transactionId(), topics, (record, action) -> loop.accept(() -> wake(e)));
      } catch (RuntimeException x) {
        return false; // resumed instead: the run's own subscription says what is wrong
      }
      restoring.computeIfAbsent(partition, p -> new ArrayList<>())
          .add(new RestoreCatchUp.Run(journal, topics, recorder.codec()));
    }
    register(e, deadline);
    return true;
  }

  /** Starts the catch-up of the runs the restore of {@code partition} left evicted, if any. */
  void catchUpRestored(int partition) {
    List<RestoreCatchUp.Run> runs = restoring.remove(partition);
    if (runs == null) {
      return;
    }
    RestoreCatchUp catchUp = new RestoreCatchUp(partition, replies, runs,
        transactionId -> loop.accept(() -> {
          Evicted e = byTransaction.get(transactionId);
          if (e != null && e.partition == partition) {
            wake(e);
          }
        }));
    catchUps.add(catchUp);
    catchUp.start(() -> loop.accept(() -> catchUps.remove(catchUp)));
  }

  /** Rebuilds {@code e} once its old thread has ended (loop thread). */
  private void wake(Evicted e) {
    if (byRun.get(e.runKey) != e) {
      return; // rebuilt already, or dropped
    }
    if (!e.stopped.isDone()) {
      if (!e.awaitingStop) {
        // Its old thread must not journal into the rebuilt run: wait for it to end.
        e.awaitingStop = true;
        e.stopped.handle((v, x) -> {
          loop.accept(() -> wake(e));
          return null;
        });
      }
      return;
    }
    forget(e);
    resumer.resume(e.partition, e.runKey, e.journal);
  }

  private void forget(Evicted e) {
    byRun.remove(e.runKey, e);
    byTransaction.remove(e.transactionId, e);
    if (e.replies != null) {
      e.replies.close();
    }
    if (e.deadline != null) {
      e.deadline.cancel();
    }
  }

  /** Forgets the evicted runs of {@code partitions} (revoked, lost, or rebuilt from the journal). */
  void drop(Collection<Integer> partitions) {
    List<RestoreCatchUp> stopped = catchUps.stream().filter(c -> partitions.contains(c.partition())).toList();
    stopped.forEach(RestoreCatchUp::cancel);
    catchUps.removeAll(stopped);
    partitions.forEach(restoring::remove);
    List<Evicted> gone = byRun.values().stream().filter(e -> partitions.contains(e.partition)).toList();
    gone.forEach(this::forget);
  }

  /** Whether the run of {@code transactionId} is evicted here. */
  boolean holds(String transactionId) {
    return byTransaction.containsKey(transactionId);
  }

  /** The runs evicted now. */
  int size() {
    return byRun.size();
  }

  /**
   * The followed reply topics {@code journal}'s run subscribed to: those of its journaled reply
   * positions, channels and takes (a topic no subscription of this runtime follows is one the run
   * cannot be waiting on).
   */
  private Set<String> replyTopics(SagaJournal journal) {
    Set<String> topics = journalTopics(journal);
    topics.retainAll(router.followedTopics());
    return topics;
  }

  /** The reply topics {@code journal}'s run subscribed to: of its reply positions, channels and takes. */
  private static Set<String> journalTopics(SagaJournal journal) {
    Set<String> topics = new HashSet<>();
    journal.replyPositions().forEach(p -> topics.add(p.topic()));
    for (JournalEntry e : journal.entries()) {
      if ((e.kind() == EffectKind.CHANNEL || e.kind() == EffectKind.TAKE) && e.detail() != null) {
        topics.addAll(List.of(e.detail().split(",")));
      }
    }
    return topics;
  }

  /**
   * The earliest deadline of a delay {@code journal}'s run may be waiting for: a pending delay not
   * inside an effect that has finished (a lost race branch, a failed all, a returned call), or null.
   */
  static Instant deadline(SagaJournal journal) {
    Map<String, JournalEntry> byId = new HashMap<>();
    journal.entries().forEach(e -> byId.put(e.id(), e));
    Instant first = null;
    for (JournalEntry e : journal.entries()) {
      if (e.kind() == EffectKind.DELAY && e.status() == JournalEntry.Status.PENDING && e.deadline() != null
          && !insideFinished(e.id(), byId) && (first == null || e.deadline().isBefore(first))) {
        first = e.deadline();
      }
    }
    return first;
  }

  private static boolean insideFinished(String id, Map<String, JournalEntry> byId) {
    for (int i = id.indexOf('/'); i >= 0; i = id.indexOf('/', i + 1)) {
      JournalEntry outer = byId.get(id.substring(0, i));
      if (outer != null && outer.status() != JournalEntry.Status.PENDING) {
        return true;
      }
    }
    return false;
  }
}
