package io.sagaflow.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannelBuffer;
import io.sagaflow.saga.ActionChannelOpen;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.All;
import io.sagaflow.saga.Call;
import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Now;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaContext;
import io.sagaflow.saga.Take;
import io.sagaflow.saga.Uuid;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalDecodingException;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.JournalLimitException;
import io.sagaflow.saga.internal.journal.JournalLimits;
import io.sagaflow.saga.internal.journal.JournalSink;
import io.sagaflow.saga.internal.journal.NonDeterminismException;
import io.sagaflow.saga.internal.journal.RecordedFailure;
import io.sagaflow.saga.internal.journal.SagaJournal;
import io.sagaflow.saga.internal.journal.UnsupportedVersionException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link EffectRecorder} of durable sagas: journals every effect's outcome under its
 * deterministic id and, when a run is rebuilt from its journal, replays recorded outcomes instead
 * of performing the effects again.
 *
 * <p>Design. A run is registered before it starts, by transaction id: {@link #begin} for a new run
 * (its header goes to the {@link JournalSink}), {@link #resume} for a run rebuilt from a
 * {@link SagaJournal}. Every effect of the run passes {@link #record} with its id:
 *
 * <ul>
 *   <li><b>Journaled id</b>: the entry's kind and detail (the topic of a put, the topics of a take
 *       or channel, the name of a call, the keys of an all or race) must be the effect's, otherwise
 *       {@link NonDeterminismException} (saga, transaction, effect id, journaled and performed
 *       effect) fails this run only. A returned entry gives its recorded result (a take's action
 *       converted to the take's payload type; uuid and now their values), a failed entry throws
 *       its failure rebuilt ({@link RecordedFailure#rebuild}; a typed call's checked exception
 *       comes unwrapped as live, see {@link ReplayedFailures}); neither runs the effect.
 *   <li><b>Structural effects run again</b>: an {@code actionChannel} re-subscribes (a live
 *       object, no external side effect) and an {@code all} forks again, its branches replaying
 *       their own entries. A returned {@code race} records only its winner: the winning branch is
 *       replayed alone, so losers stay lost.
 *   <li><b>Pending entries</b>: a take (outside a race) journals its start (its topics), so that a
 *       reader of the journal sees what a waiting saga waits for; replayed, it runs live again. A delay
 *       journals its absolute deadline before it waits, so a
 *       resumed delay waits only the remainder on the engine's {@link Timer} (a 60 s delay with
 *       15 s left waits 15 s); a pending race runs again, its timeout branch being such a delay.
 *   <li><b>First unjournaled id</b>: runs live; its outcome is appended to the sink. A cancelled
 *       effect (the run or its race branch was stopped) journals nothing, nor does an effect that
 *       failed for a journal reason (divergence, limits, decoding), so a replay performs it again.
 * </ul>
 *
 * Delivery guarantees come from the sink: the Kafka writer appends in the transaction that
 * publishes the run's puts, so a put is journaled exactly when it is visible, and a call whose
 * entry did not commit runs again: {@link SagaContext#idempotencyKey()} lets the callee
 * deduplicate.
 *
 * <p>Obligations left to the Kafka wiring: a re-subscribed channel must not receive again the
 * replies that journaled takes already consumed (read reply topics from the journaled
 * {@code ReplyPosition}s and skip those actions).
 *
 * <p>A <b>probe</b> ({@link #probe(RestoreProbe)}) is a registration that replays and performs
 * nothing: a restore uses it to learn whether a run waits at its journal's end ({@link
 * RestoreProbe}).
 *
 * <p>Version markers ({@link SagaContext#version}) are entries outside the effects' numbering;
 * {@link VersionMarkers} says how they are keyed and when an old journal gets the default version.
 *
 * <p>Bounds: {@link JournalLimits} caps the entries and encoded bytes of one run; an effect that
 * would exceed them fails with {@link JournalLimitException} before it runs (a result too large to
 * journal fails after it ran).
 */
public final class JournalRecorder implements EffectRecorder {
  /** Part of the id of an effect inside a race branch (see {@link EffectIds}). */
  private static final String RACE_BRANCH = "/race/";

  private final JournalSink sink;
  private final ActionCodec actions;
  private final JournalCodec codec;
  private final JournalLimits limits;
  private final Map<String, Run> runs = new ConcurrentHashMap<>();

  /** One registered run: its journaled entries (the replay source, then what it appended). */
  private final class Run implements VersionMarkers.Journal {
    final String runKey;
    final String sagaName;
    final String transactionId;
    /** The ids journaled when the run was registered: what a replay meets ({@link VersionMarkers}). */
    private final Set<String> replaySource;
    private final Map<String, JournalEntry> entries = new HashMap<>();
    private final Map<String, Integer> sizes = new HashMap<>();
    private long bytes;
    /** Set for a probe ({@link #probe}): it performs and journals nothing. */
    final RestoreProbe probe;

    Run(SagaJournal journal, RestoreProbe probe) {
      this.probe = probe;
      this.runKey = journal.runKey();
      this.sagaName = journal.sagaName();
      this.transactionId = journal.transactionId();
      this.bytes = codec.encode(journal).length;
      for (JournalEntry e : journal.entries()) {
        entries.put(e.id(), e);
        sizes.put(e.id(), codec.encodedSize(e));
      }
      this.replaySource = Set.copyOf(entries.keySet());
    }

    @Override
    public String sagaName() {
      return sagaName;
    }

    @Override
    public String transactionId() {
      return transactionId;
    }

    @Override
    public String runKey() {
      return runKey;
    }

    @Override
    public Set<String> replaySource() {
      return replaySource;
    }

    @Override
    public synchronized JournalEntry get(String id) {
      return entries.get(id);
    }

    /** Fails unless an entry for {@code id} fits, before its effect runs. */
    synchronized void checkRoom(String id) {
      if (!entries.containsKey(id) && entries.size() >= limits.maxEntries()) {
        throw new JournalLimitException("saga " + sagaName + " (transaction " + transactionId + ", run " + runKey
            + ") has journaled " + entries.size() + " effects, the most one run may journal"
            + " (JournalLimits.maxEntries); effect " + id + " is not performed. End the run and start a successor"
            + " (put an action that starts a new run) instead of looping within one, or raise the limit");
      }
      if (bytes >= limits.maxBytes()) {
        throw bytesExceeded(id, bytes);
      }
    }

    /** Journals {@code entry}, new or replacing the one with its id. */
    @Override
    public synchronized void put(JournalEntry entry) {
      if (probe != null) {
        throw probe.stop(false, entry.id()); // never reached: a probe stops before anything is journaled
      }
      checkRoom(entry.id());
      byte[] encoded = codec.encodeEntry(entry);
      int size = encoded.length + 1;
      Integer old = sizes.get(entry.id());
      long after = bytes - (old == null ? 0 : old) + size;
      if (after > limits.maxBytes()) {
        throw bytesExceeded(entry.id(), after);
      }
      sink.append(runKey, entry, encoded);
      entries.put(entry.id(), entry);
      sizes.put(entry.id(), size);
      bytes = after;
    }

    private JournalLimitException bytesExceeded(String id, long size) {
      return new JournalLimitException("saga " + sagaName + " (transaction " + transactionId + ", run " + runKey
          + ") would journal " + size + " bytes at effect " + id + ", over the " + limits.maxBytes()
          + " one run may journal (JournalLimits.maxBytes); return smaller results from journaled effects (keep"
          + " large data elsewhere and journal a reference), or end the run and start a successor");
    }
  }

  /**
   * A recorder writing to {@code sink}.
   *
   * @param actions converts payloads and call results (the runtime's codec)
   * @param limits bounds on each run's journal
   */
  public JournalRecorder(JournalSink sink, ActionCodec actions, JournalLimits limits) {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.actions = Objects.requireNonNull(actions, "actions");
    this.codec = new JournalCodec(actions.mapper());
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The codec journals are encoded with. */
  public JournalCodec codec() {
    return codec;
  }

  /**
   * Registers a new run and journals its start; call before starting it on the engine.
   *
   * @param runKey unique per run ({@link InputPosition#runKey()} for a run started from Kafka)
   * @param sagaName the saga's name
   * @param input where the input record sits, or null
   * @param action the input action
   * @param startedAt when the run started
   * @return the run's journal so far
   * @throws IllegalStateException if a run with the same transaction id is registered
   */
  public SagaJournal begin(String runKey, String sagaName, InputPosition input, Action<?> action,
      Instant startedAt) {
    JsonNode payload = action.payload() == null ? null
        : action.payload() instanceof JsonNode tree ? tree : actions.mapper().valueToTree(action.payload());
    SagaJournal journal = SagaJournal.start(runKey, sagaName, input, action.withPayload(payload), startedAt);
    register(journal);
    sink.start(journal);
    return journal;
  }

  /**
   * Registers a run rebuilt from {@code journal}; start it on the engine with the journal's
   * action (converted to the saga's payload type) and it replays.
   *
   * @throws IllegalStateException if a run with the same transaction id is registered
   */
  public void resume(SagaJournal journal) {
    register(journal, null);
  }

  /**
   * Registers a probe of the run journaled as {@code probe}'s journal (see {@link RestoreProbe}):
   * started on the engine, it replays what the journal holds, performs and journals nothing, and
   * stops at the first effect not journaled as returned. {@link #forget} it once its run ended.
   *
   * @throws IllegalStateException if a run with the same transaction id is registered
   */
  void probe(RestoreProbe probe) {
    register(probe.journal(), probe);
  }

  private void register(SagaJournal journal) {
    register(journal, null);
  }

  private void register(SagaJournal journal, RestoreProbe probe) {
    Run run = new Run(journal, probe);
    Run other = runs.putIfAbsent(journal.transactionId(), run);
    if (other != null) {
      throw new IllegalStateException("transaction " + journal.transactionId() + " already has a journaled run ("
          + other.runKey + "); end or forget it before registering run " + journal.runKey());
    }
  }

  /** The run of {@code transactionId} ended: unregisters it and ends its journal (a tombstone). */
  public void end(String transactionId) {
    Run run = runs.remove(transactionId);
    if (run != null) {
      sink.end(run.runKey);
    }
  }

  /** Unregisters the run of {@code transactionId} and keeps its journal (the run moves or is evicted). */
  public void forget(String transactionId) {
    runs.remove(transactionId);
  }

  @Override
  public String runKey(SagaContext ctx) {
    Run run = runs.get(ctx.transactionId());
    return run != null ? run.runKey : ctx.transactionId();
  }

  @Override
  public Object record(String id, Effect<?> effect, SagaContext context, Execution execution) throws Exception {
    SagaContextImpl ctx = (SagaContextImpl) context;
    Run run = registered(ctx);
    if (run.probe != null || ctx.run.probe) {
      return probe(run, id, effect, ctx, execution);
    }
    EffectKind kind = kindOf(effect);
    String detail = detailOf(effect);
    JournalEntry entry = run.get(id);
    if (entry == null) {
      Instant at = ctx.engine.timer().now();
      Instant deadline = effect instanceof Delay<?> d ? at.plus(d.duration()) : null;
      JournalEntry started = JournalEntry.pending(id, kind, detail, at, deadline);
      if (kind == EffectKind.DELAY || kind == EffectKind.ALL || kind == EffectKind.RACE
          || (kind == EffectKind.TAKE && !id.contains(RACE_BRANCH))) {
        // The start matters: a deadline, a structure to check on replay, or (a take) what a
        // waiting saga waits for, which `sagaflow sagas` and the inspector show. A race's take
        // is left out: the race's entry says what it waits for, and its losers stay unjournaled.
        run.put(started);
      } else {
        run.checkRoom(id);
      }
      return complete(run, started, effect, ctx, execution);
    }
    if (entry.kind() != kind || !Objects.equals(entry.detail(), detail)) {
      throw new NonDeterminismException(run.sagaName, run.transactionId, run.runKey, id, entry.describe(),
          JournalEntry.describe(kind, detail));
    }
    return switch (entry.status()) {
      case FAILED -> throw replayedFailure(entry, effect);
      case PENDING -> complete(run, entry, effect, ctx, execution);
      case RETURNED -> replay(entry, effect, ctx, execution);
    };
  }

  private static Exception replayedFailure(JournalEntry entry, Effect<?> effect) {
    Exception failure = entry.failure().rebuild();
    if (effect instanceof Call<?>) {
      ReplayedFailures.mark(failure);
    }
    return failure;
  }

  /**
   * An effect of a probe ({@link RestoreProbe}): replayed when journaled as returned or failed (a
   * channel is opened unsubscribed: nothing is delivered to a probe), otherwise the probe stops,
   * waiting when the effect is a journaled pending take, delay or all of waits.
   */
  private Object probe(Run run, String id, Effect<?> effect, SagaContextImpl ctx, Execution execution)
      throws Exception {
    RestoreProbe probe = run.probe;
    if (probe == null) {
      // A probe's thread that outlived its probe (timed out, dropped): the run resumed since is not its own.
      throw new RestoreProbe.Stop("a stopped restore probe of " + run.transactionId + " reached effect " + id);
    }
    JournalEntry entry = run.get(id);
    if (probe.decided() || entry == null || entry.kind() != kindOf(effect)
        || !Objects.equals(entry.detail(), detailOf(effect))) {
      throw probe.stop(false, id); // a divergence is reported by the resume that follows
    }
    return switch (entry.status()) {
      case FAILED -> throw replayedFailure(entry, effect);
      case PENDING -> throw probe.stopAtPending(effect, id);
      case RETURNED -> effect instanceof ActionChannelOpen<?> open
          ? new ActionChannelImpl<>(open.pattern(), ActionChannelBuffer.bounded(1), actions)
          : replay(entry, effect, ctx, execution);
    };
  }

  /** Journals the version marker {@code changeId} or reads it back ({@link VersionMarkers}). */
  @Override
  public int version(String changeId, int minSupported, int maxSupported, SagaContext context) {
    SagaContextImpl ctx = (SagaContextImpl) context;
    Run run = registered(ctx);
    String id = EffectIds.version(changeId);
    if (ctx.run.probe && run.probe == null) {
      throw new RestoreProbe.Stop("a stopped restore probe of " + run.transactionId + " reached marker " + id);
    }
    if (run.probe != null && (run.probe.decided() || run.get(id) == null)) {
      throw run.probe.stop(false, id); // a marker not journaled yet would be journaled: the resume does it
    }
    return VersionMarkers.version(run, changeId, minSupported, maxSupported, ctx, ctx.engine.timer().now());
  }

  private Run registered(SagaContextImpl ctx) {
    Run run = runs.get(ctx.transactionId());
    if (run == null) {
      throw new IllegalStateException("transaction " + ctx.transactionId() + " has no journaled run; register it"
          + " with JournalRecorder.begin or resume before starting it on a journaling engine");
    }
    return run;
  }

  /** The outcome of a journaled, returned effect. */
  private Object replay(JournalEntry entry, Effect<?> effect, SagaContextImpl ctx, Execution execution)
      throws Exception {
    return switch (effect) {
      case ActionChannelOpen<?> open -> execution.execute();
      case All all -> execution.execute();
      case Delay<?> delay -> delay.value();
      case Race race -> {
        RaceResult won = (RaceResult) codec.decodeResult(entry);
        Effect<?> branch = race.effects().get(won.key());
        if (branch == null) {
          throw new JournalDecodingException("the journaled winner " + won.key() + " of race " + entry.id()
              + " is not one of its branches " + race.effects().keySet(), null);
        }
        String branchId = EffectIds.branches(entry.id(), true) + won.key();
        // The winner alone runs again, on this thread: nothing to claim before it, and its
        // compensation steps join the saga's as a live race's winner's do.
        Compensations steps = new Compensations(false);
        Object value = ctx.engine.perform(branch, branchId,
            ctx.branch(branchId, ctx.undo, CompletableFuture.completedFuture(null), steps));
        steps.moveTo(ctx.compensations);
        yield new RaceResult(won.key(), won.index(), value);
      }
      case Take<?> take -> actions.convert((Action<?>) codec.decodeResult(entry), payloadType(take));
      default -> codec.decodeResult(entry);
    };
  }

  /** Runs {@code base}'s effect live (or, for a journaled delay, waits out its deadline) and journals the outcome. */
  private Object complete(Run run, JournalEntry base, Effect<?> effect, SagaContextImpl ctx, Execution execution)
      throws Exception {
    Timer timer = ctx.engine.timer();
    Instant started = timer.now();
    Object result;
    try {
      if (effect instanceof Delay<?> delay && base.deadline() != null) {
        // Waited here, not dispatched: pass the branch's claim turn as dispatch would, or the
        // branches declared after this delay in an all or race would not start until it ends.
        ClaimOrder.beforeDispatch(effect, ctx);
        Duration left = Duration.between(started, base.deadline());
        if (!left.isNegative() && !left.isZero()) {
          ctx.engine.waiter.await(timer.after(left), true, delay);
        }
        result = delay.value();
      } else {
        result = execution.execute();
      }
    } catch (Exception e) {
      if (!cancelled(e) && !journalFailure(e)) {
        run.put(base.failed(RecordedFailure.of(e), millisSince(started, timer)));
      }
      throw e;
    }
    JournalCodec.EncodedResult encoded = switch (base.kind()) {
      case PUT, CHANNEL, ALL, DELAY -> new JournalCodec.EncodedResult(null, null);
      default -> codec.encodeResult(result);
    };
    run.put(base.returned(encoded.type(), encoded.json(), millisSince(started, timer)));
    return result;
  }

  private static long millisSince(Instant started, Timer timer) {
    return Math.max(0, Duration.between(started, timer.now()).toMillis());
  }

  /** Whether {@code e} ended its effect because the run or its branch was stopped (a crash, a lost race). */
  private static boolean cancelled(Exception e) {
    return Thread.currentThread().isInterrupted() || e instanceof SagaCancelledException
        || e instanceof InterruptedException;
  }

  /** Whether {@code e} (or a cause) is the journal's own failure, which must not be journaled. */
  private static boolean journalFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NonDeterminismException || t instanceof UnsupportedVersionException
          || t instanceof JournalLimitException
          || t instanceof JournalDecodingException) {
        return true;
      }
    }
    return false;
  }

  private static Class<?> payloadType(Take<?> take) {
    if (take.channel() instanceof ActionChannelImpl<?> ch) {
      return ch.payloadType();
    }
    if (take.pattern() != null) {
      return take.pattern().payloadType();
    }
    throw new IllegalArgumentException("take needs a channel opened with SagaContext.actionChannel, not a "
        + take.channel().getClass().getName());
  }

  private static EffectKind kindOf(Effect<?> effect) {
    return switch (effect) {
      case Put p -> EffectKind.PUT;
      case Take<?> t -> EffectKind.TAKE;
      case ActionChannelOpen<?> o -> EffectKind.CHANNEL;
      case Call<?> c -> EffectKind.CALL;
      case All a -> EffectKind.ALL;
      case Race r -> EffectKind.RACE;
      case Delay<?> d -> EffectKind.DELAY;
      case Now n -> EffectKind.NOW;
      case Uuid u -> EffectKind.UUID;
    };
  }

  /** What identifies {@code effect} within its kind on replay (see {@link JournalEntry#detail()}). */
  private static String detailOf(Effect<?> effect) {
    return switch (effect) {
      case Put p -> p.topic();
      case Take<?> t -> String.join(",", t.channel() != null ? t.channel().topics() : t.pattern().topics());
      case ActionChannelOpen<?> o -> String.join(",", o.pattern().topics());
      case Call<?> c -> c.name();
      case All a -> String.join(",", List.copyOf(a.effects().keySet()));
      case Race r -> String.join(",", List.copyOf(r.effects().keySet()));
      case Delay<?> d -> null;
      case Now n -> null;
      case Uuid u -> null;
    };
  }
}
