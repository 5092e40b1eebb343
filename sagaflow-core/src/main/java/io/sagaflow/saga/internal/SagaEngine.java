package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionChannelBuffer;
import io.sagaflow.saga.ActionChannelOpen;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.All;
import io.sagaflow.saga.Call;
import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaException;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.saga.Take;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The effect interpreter.
 *
 * <p>Design: a saga runs as blocking code on a virtual thread. {@link SagaContextImpl#perform}
 * gives each effect a deterministic id (a counter per logical thread, prefixed by the path of
 * all/race branches and called sagas: {@code "3"}, {@code "4/race/timeout/1"}) and sends it through
 * the middleware chain ({@link Chain}, OkHttp style: an immutable link per position that may proceed
 * at most once). The last link hands the effect to the {@link EffectRecorder} (the one seam a
 * journal will use) which executes it:
 *
 * <ul>
 *   <li>put: publish with the transaction id and the triggering headers, wait for the ack;
 *   <li>actionChannel: subscribe to the {@link ActionSource} (which returns once positioned);
 *   <li>take: wait on the channel's buffer; an interrupted wait gives back what it got; inside a
 *       race branch the consumed action is logged in the branch's {@link UndoLog};
 *   <li>call: invoke on this thread, await an asynchronous result;
 *   <li>all/race: one virtual thread per branch, each performing its effect through the whole chain;
 *       a race interrupts and joins its losers and undoes their takes before returning;
 *   <li>delay: wait on the injected {@link Timer}.
 * </ul>
 *
 * Cancellation is thread interruption: every wait turns it into {@link SagaCancelledException}
 * after cancelling what it waited for.
 */
public final class SagaEngine {
  private static final Logger SAGA_LOG = LoggerFactory.getLogger("io.sagaflow.saga.Saga");
  /** The MDC key holding the transaction id on every saga thread, for log correlation. */
  public static final String MDC_TRANSACTION_ID = "sagaflow.transactionId";

  private final List<SagaMiddleware> middleware;
  private final ActionPublisher publisher;
  private final ActionSource source;
  private final Timer timer;
  private final EffectRecorder recorder;
  private final ActionCodec codec;
  private final int channelCapacity;
  private final Activity activity;

  /**
   * An engine.
   *
   * @param middleware interceptors, outermost first
   * @param publisher where puts go
   * @param source where takes and channels get actions
   * @param timer time for delays
   * @param recorder the effect result seam
   * @param codec converts payloads
   * @param channelCapacity the default channel buffer capacity
   * @param activity observes threads and waits (tests)
   */
  public SagaEngine(List<SagaMiddleware> middleware, ActionPublisher publisher, ActionSource source, Timer timer,
      EffectRecorder recorder, ActionCodec codec, int channelCapacity, Activity activity) {
    this.middleware = List.copyOf(middleware);
    this.publisher = Objects.requireNonNull(publisher, "publisher");
    this.source = Objects.requireNonNull(source, "source");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.codec = Objects.requireNonNull(codec, "codec");
    if (channelCapacity <= 0) {
      throw new IllegalArgumentException("channelCapacity (" + channelCapacity + ") must be positive");
    }
    this.channelCapacity = channelCapacity;
    this.activity = Objects.requireNonNull(activity, "activity");
  }

  /** The codec payloads are converted with. */
  public ActionCodec codec() {
    return codec;
  }

  /** The timer delays use. */
  public Timer timer() {
    return timer;
  }

  /** State shared by all logical threads of one run. */
  static final class RunState {
    final ConsumerRecord<byte[], byte[]> record;
    final Object userContext;
    final Logger logger;
    private final List<ChannelImpl<?>> channels = new ArrayList<>();

    RunState(ConsumerRecord<byte[], byte[]> record, Object userContext, Logger logger) {
      this.record = record;
      this.userContext = userContext;
      this.logger = logger;
    }

    synchronized void register(ChannelImpl<?> channel) {
      channels.add(channel);
    }

    synchronized void closeChannels() {
      channels.forEach(ChannelImpl::close);
      channels.clear();
    }
  }

  /** A started saga run. */
  public static final class SagaRun {
    private final CompletableFuture<Object> done;
    private final Thread thread;

    SagaRun(CompletableFuture<Object> done, Thread thread) {
      this.done = done;
      this.thread = thread;
    }

    /** Completes with the saga's result when its thread ended, exceptionally with what it threw. */
    public CompletableFuture<Object> done() {
      return done;
    }

    /** Interrupts the saga: pending effects are cancelled and throw {@link SagaCancelledException}. */
    public void cancel() {
      thread.interrupt();
    }
  }

  /**
   * Starts {@code saga} on a new virtual thread.
   *
   * @param record the input record, or null
   * @param userContext the user context, or null
   */
  public <P> SagaRun start(Saga<P> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record, Object userContext) {
    return startReturning((a, ctx) -> {
      saga.run(a, ctx);
      return null;
    }, action, record, userContext);
  }

  /** Starts a saga that returns a value. */
  public <P> SagaRun startReturning(io.sagaflow.saga.ReturningSaga<P, ?> saga, Action<P> action,
      ConsumerRecord<byte[], byte[]> record, Object userContext) {
    RunState run = new RunState(record, userContext, SAGA_LOG);
    SagaContextImpl ctx = new SagaContextImpl(this, run, action, "", null);
    CompletableFuture<Object> done = new CompletableFuture<>();
    activity.threadStarted();
    Thread thread = Thread.ofVirtual().name("saga-" + action.transactionId()).unstarted(() -> {
      MDC.put(MDC_TRANSACTION_ID, action.transactionId());
      Object result = null;
      Throwable failure = null;
      try {
        result = saga.run(action, ctx);
      } catch (Throwable t) {
        failure = t;
      } finally {
        run.closeChannels();
        activity.threadEnded();
      }
      if (failure == null) {
        done.complete(result);
      } else {
        done.completeExceptionally(failure);
      }
    });
    thread.start();
    return new SagaRun(done, thread);
  }

  /** Performs {@code effect} with {@code id} through the middleware chain; throws unchecked. */
  Object perform(Effect<?> effect, String id, SagaContextImpl ctx) {
    Objects.requireNonNull(effect, "effect");
    try {
      return new Chain(0, effect, id, ctx).run(effect);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (InterruptedException e) {
      throw cancelled(effect.describe());
    } catch (Exception e) {
      throw new SagaException(effect.describe() + " failed: " + e, e);
    }
  }

  /** One link of the middleware chain. */
  private final class Chain implements SagaMiddleware.Chain {
    private final int index;
    private final Effect<?> effect;
    private final String id;
    private final SagaContextImpl ctx;
    private final AtomicBoolean proceeded = new AtomicBoolean();

    Chain(int index, Effect<?> effect, String id, SagaContextImpl ctx) {
      this.index = index;
      this.effect = effect;
      this.id = id;
      this.ctx = ctx;
    }

    /** Runs the middleware at {@code index} (or the terminal) on {@code e}. */
    Object run(Effect<?> e) throws Exception {
      if (index < middleware.size()) {
        return middleware.get(index).intercept(new Chain(index + 1, e, id, ctx));
      }
      return terminal(e, id, ctx);
    }

    @Override
    public Effect<?> effect() {
      return effect;
    }

    @Override
    public SagaContextImpl context() {
      return ctx;
    }

    @Override
    public String effectId() {
      return id;
    }

    @Override
    public Object proceed(Effect<?> next) throws Exception {
      Objects.requireNonNull(next, "effect");
      if (!proceeded.compareAndSet(false, true)) {
        throw new IllegalStateException("middleware " + middleware.get(index - 1).getClass().getName()
            + " called proceed() twice for " + effect.describe() + " (effect " + id
            + "); middleware must call proceed() at most once");
      }
      return run(next);
    }
  }

  private Object terminal(Effect<?> effect, String id, SagaContextImpl ctx) throws Exception {
    return recorder.record(id, effect, ctx, () -> switch (effect) {
      case Put put -> doPut(put, ctx);
      case ActionChannelOpen<?> open -> doOpen(open, ctx);
      case Take<?> take -> doTake(take, ctx);
      case Call<?> call -> doCall(call, id, ctx);
      case All all -> doAll(all, id, ctx);
      case Race race -> doRace(race, id, ctx);
      case Delay<?> delay -> doDelay(delay);
      case io.sagaflow.saga.Now now -> timer.now();
      case io.sagaflow.saga.Uuid uuid -> java.util.UUID.randomUUID();
    });
  }

  private Object doPut(Put put, SagaContextImpl ctx) throws Exception {
    Map<String, byte[]> headers = new LinkedHashMap<>(ctx.headers());
    headers.putAll(put.headers());
    Action<Object> action = new Action<>(put.topic(), ctx.transactionId(), put.payload(), headers);
    await(publisher.publish(action), false, put);
    return null;
  }

  private <P> ChannelImpl<P> doOpen(ActionChannelOpen<P> open, SagaContextImpl ctx) {
    ChannelImpl<P> channel = openChannel(open.pattern(), open.buffer(), ctx);
    ctx.run.register(channel);
    return channel;
  }

  private <P> ChannelImpl<P> openChannel(ActionPattern<P> pattern, ActionChannelBuffer<Action<P>> buffer,
      SagaContextImpl ctx) {
    ChannelImpl<P> channel = new ChannelImpl<>(pattern,
        buffer != null ? buffer : ActionChannelBuffer.bounded(channelCapacity), codec);
    // Described only for an observer: building the text for every channel costs more than the open.
    String what = activity == Activity.NONE ? null : "actionChannel" + pattern.topics();
    activity.blocked(false, what);
    try {
      channel.attach(source.subscribe(ctx.transactionId(), new LinkedHashSet<>(pattern.topics()), channel::deliver));
    } finally {
      activity.unblocked(false, what);
    }
    return channel;
  }

  private <P> Action<P> doTake(Take<P> take, SagaContextImpl ctx) throws Exception {
    if (take.channel() != null) {
      ActionChannel<P> ch = take.channel();
      if (!(ch instanceof ChannelImpl<P> channel)) {
        throw new IllegalArgumentException("take needs a channel opened with SagaContext.actionChannel, not a "
            + ch.getClass().getName());
      }
      Action<P> action = takeFrom(channel, take);
      if (ctx.undo != null) {
        ctx.undo.add(() -> channel.buffer.pushFront(action));
      }
      return action;
    }
    // A pattern take sees only what arrives from now on, through a channel of its own.
    ChannelImpl<P> channel = openChannel(take.pattern(), null, ctx);
    try {
      return takeFrom(channel, take);
    } finally {
      channel.close();
    }
  }

  private <P> Action<P> takeFrom(ChannelImpl<P> channel, Effect<?> take) throws Exception {
    if (channel.failure.isDone()) {
      throw failureOf(channel);
    }
    CompletableFuture<Action<P>> next = channel.buffer.takeAsync();
    if (!next.isDone()) {
      String what = described(take);
      activity.blocked(true, what);
      try {
        CompletableFuture.anyOf(next, channel.failure).get();
      } catch (InterruptedException e) {
        giveBack(channel, next);
        throw cancelled(take.describe());
      } catch (ExecutionException e) {
        // The channel failed or closed while we waited.
      } finally {
        activity.unblocked(true, what);
      }
    }
    if (next.isDone()) {
      return next.join();
    }
    giveBack(channel, next);
    throw failureOf(channel);
  }

  private static <P> void giveBack(ChannelImpl<P> channel, CompletableFuture<Action<P>> next) {
    if (!next.cancel(false) && !next.isCancelled()) {
      channel.buffer.pushFront(next.join());
    }
  }

  private static RuntimeException failureOf(ChannelImpl<?> channel) {
    RuntimeException cause = channel.failureCause();
    return cause != null ? cause : new IllegalStateException("unreachable: the channel has not failed");
  }

  private Object doCall(Call<?> call, String id, SagaContextImpl ctx) throws Exception {
    CompletionStage<?> stage = call.callee().invoke(call.args(), ctx.nested(id));
    if (stage == null) {
      throw new IllegalStateException("the callee of " + call.describe() + " returned a null stage");
    }
    return await(stage.toCompletableFuture(), false, call);
  }

  private Object doDelay(Delay<?> delay) throws Exception {
    await(timer.after(delay.duration()), true, delay);
    return delay.value();
  }

  private Object doAll(All all, String id, SagaContextImpl ctx) throws Exception {
    Branches branches = new Branches(all.effects(), id + "/all/", ctx, false);
    branches.awaitAll();
    if (all.keyed()) {
      Map<String, Object> results = new LinkedHashMap<>();
      for (Branch b : branches.list) {
        results.put(b.key, b.result);
      }
      return results;
    }
    List<Object> results = new ArrayList<>();
    for (Branch b : branches.list) {
      results.add(b.result);
    }
    return results;
  }

  private Object doRace(Race race, String id, SagaContextImpl ctx) throws Exception {
    if (threadless(race)) {
      return raceWithoutThreads(race, ctx);
    }
    Branches branches = new Branches(race.effects(), id + "/race/", ctx, true);
    Branch winner = branches.awaitFirst();
    return new RaceResult(winner.key, winner.index, winner.result);
  }

  /**
   * Whether {@code race} can run on the calling thread: every branch is a take or a delay, which
   * are futures underneath, and nothing can observe that no branch thread ran (no middleware, no
   * recorder, no activity observer: those see each branch's effect on a thread of its own).
   */
  private boolean threadless(Race race) {
    if (!middleware.isEmpty() || recorder != EffectRecorder.PASS_THROUGH || activity != Activity.NONE) {
      return false;
    }
    for (Effect<?> e : race.effects().values()) {
      if (!(e instanceof Delay<?>) && !(e instanceof Take<?> t && (t.channel() == null || t.channel() instanceof ChannelImpl<?>))) {
        return false;
      }
    }
    return true;
  }

  /** One branch of a threadless race: a pending take or a pending delay. */
  private static final class RaceBranch {
    final int index;
    ChannelImpl<?> channel;
    boolean ownsChannel;
    CompletableFuture<? extends Action<?>> take;
    Timer.Scheduled timer;
    volatile boolean fired;
    Delay<?> delay;
    RuntimeException openFailure;

    RaceBranch(int index) {
      this.index = index;
    }

    /** Whether this branch has an outcome (an action, a channel failure, a fired delay). */
    boolean ready() {
      if (openFailure != null) {
        return true;
      }
      if (delay != null) {
        return fired;
      }
      return (take != null && take.isDone()) || channel.failure.isDone();
    }

    /** Gives up on this branch: a take that completed meanwhile returns its action to the channel. */
    void stop() {
      if (timer != null) {
        timer.cancel();
      }
      if (take != null) {
        giveBackAny(channel, take);
      }
      if (ownsChannel) {
        channel.close();
      }
    }
  }

  /**
   * A race of takes and delays, with the semantics of the threaded race (the first branch to finish
   * wins, losing takes consume nothing, losing delays stop) but no branch threads: each branch is a
   * buffer taker or a timer entry, and this thread waits until one of them has an outcome. Branches
   * ready at once win in order.
   */
  private Object raceWithoutThreads(Race race, SagaContextImpl ctx) throws Exception {
    int n = race.effects().size();
    RaceBranch[] branches = new RaceBranch[n];
    String[] keys = new String[n];
    CompletableFuture<Void> signal = new CompletableFuture<>();
    RaceBranch winner = null;
    int started = 0;
    try {
      for (Map.Entry<String, Effect<?>> e : race.effects().entrySet()) {
        RaceBranch b = new RaceBranch(started);
        keys[started] = e.getKey();
        branches[started++] = b;
        start(b, e.getValue(), signal, ctx);
        if (b.ready()) {
          winner = b;
          break;
        }
      }
    } catch (RuntimeException | Error x) {
      for (int i = 0; i < started; i++) {
        branches[i].stop();
      }
      throw x;
    }
    if (winner == null) {
      try {
        signal.get();
      } catch (InterruptedException x) {
        for (int i = 0; i < started; i++) {
          branches[i].stop();
        }
        throw cancelled(race.describe());
      }
      for (int i = 0; i < started && winner == null; i++) {
        if (branches[i].ready()) {
          winner = branches[i];
        }
      }
      if (winner == null) {
        throw new IllegalStateException("unreachable: a race signalled without a ready branch");
      }
    }
    for (int i = 0; i < started; i++) {
      if (branches[i] != winner) {
        branches[i].stop();
      }
    }
    return new RaceResult(keys[winner.index], winner.index, outcome(winner, ctx));
  }

  /** Starts one branch of a threadless race; {@code signal} completes when it gets an outcome. */
  private void start(RaceBranch b, Effect<?> effect, CompletableFuture<Void> signal, SagaContextImpl ctx) {
    if (effect instanceof Delay<?> delay) {
      b.delay = delay;
      if (delay.duration().isZero()) {
        b.fired = true;
      } else {
        b.timer = timer.schedule(delay.duration(), () -> {
          b.fired = true;
          signal.complete(null);
        });
      }
      return;
    }
    Take<?> take = (Take<?>) effect;
    if (take.channel() != null) {
      b.channel = (ChannelImpl<?>) take.channel();
    } else {
      try {
        b.channel = openChannel(take.pattern(), null, ctx);
        b.ownsChannel = true;
      } catch (RuntimeException x) {
        b.openFailure = x; // like a branch whose take threw at once
        return;
      }
    }
    if (!b.channel.failure.isDone()) {
      b.take = b.channel.buffer.takeAsync();
      if (!b.take.isDone()) {
        // anyOf, not a callback on each: once the take completes (or is cancelled when the race
        // ends), the relay left on the channel's failure future is dead and removed from it, so
        // racing over a long-lived channel in a loop does not pile up callbacks on it.
        CompletableFuture.anyOf(b.take, b.channel.failure).whenComplete((v, x) -> signal.complete(null));
      }
    }
  }

  /** The result of the winning branch of a threadless race, or its failure thrown. */
  private static Object outcome(RaceBranch w, SagaContextImpl ctx) {
    if (w.openFailure != null) {
      throw w.openFailure;
    }
    if (w.delay != null) {
      return w.delay.value();
    }
    try {
      if (w.take != null && w.take.isDone()) {
        Action<?> action = w.take.join();
        if (!w.ownsChannel && ctx.undo != null) {
          ChannelImpl<?> channel = w.channel;
          ctx.undo.add(() -> pushBack(channel, action));
        }
        return action;
      }
      if (w.take != null) {
        giveBackAny(w.channel, w.take);
      }
      throw failureOf(w.channel);
    } finally {
      if (w.ownsChannel) {
        w.channel.close();
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <P> void pushBack(ChannelImpl<P> channel, Action<?> action) {
    channel.buffer.pushFront((Action<P>) action);
  }

  @SuppressWarnings("unchecked")
  private static <P> void giveBackAny(ChannelImpl<P> channel, CompletableFuture<? extends Action<?>> next) {
    giveBack(channel, (CompletableFuture<Action<P>>) next);
  }

  /** One concurrently running effect of an all or a race. */
  private static final class Branch {
    final String key;
    final int index;
    final UndoLog undo;
    Thread thread;
    volatile Object result;
    volatile Throwable error;

    Branch(String key, int index, UndoLog undo) {
      this.key = key;
      this.index = index;
      this.undo = undo;
    }

    void undoMoveTo(UndoLog parent) {
      if (undo != null) {
        undo.moveTo(parent);
      }
    }
  }

  /** The branches of one all/race, each on its own virtual thread. */
  private final class Branches {
    final List<Branch> list = new ArrayList<>();
    final LinkedBlockingQueue<Branch> finished = new LinkedBlockingQueue<>();
    final SagaContextImpl ctx;
    final String what;
    private boolean parentWaiting;

    Branches(Map<String, Effect<?>> effects, String idPrefix, SagaContextImpl ctx, boolean race) {
      this.ctx = ctx;
      this.what = (race ? "race" : "all") + effects.keySet();
      int i = 0;
      for (Map.Entry<String, Effect<?>> e : effects.entrySet()) {
        // Takes are undoable only where a race may need to undo them.
        UndoLog undo = race || ctx.undo != null ? new UndoLog() : null;
        Branch b = new Branch(e.getKey(), i++, undo);
        String branchId = idPrefix + e.getKey();
        SagaContextImpl branchCtx = ctx.branch(branchId, undo);
        Effect<?> effect = e.getValue();
        list.add(b);
        activity.threadStarted();
        b.thread = Thread.ofVirtual().name("saga-" + ctx.transactionId() + "-" + branchId).unstarted(() -> {
          MDC.put(MDC_TRANSACTION_ID, ctx.transactionId());
          try {
            b.result = perform(effect, branchId, branchCtx);
          } catch (Throwable t) {
            b.error = t;
          } finally {
            finish(b);
          }
        });
      }
      list.forEach(b -> b.thread.start());
    }

    void awaitAll() throws Exception {
      int done = 0;
      while (done < list.size()) {
        Branch b = next();
        done++;
        if (b.error != null) {
          stopOthers(b);
          list.forEach(x -> x.undoMoveTo(ctx.undo));
          throw rethrow(b.error);
        }
      }
      list.forEach(x -> x.undoMoveTo(ctx.undo));
    }

    Branch awaitFirst() throws Exception {
      Branch winner = next();
      stopOthers(winner);
      for (Branch b : list) {
        if (b != winner && b.undo != null) {
          b.undo.undo();
        }
      }
      winner.undoMoveTo(ctx.undo);
      if (winner.error != null) {
        throw rethrow(winner.error);
      }
      return winner;
    }

    /**
     * A finishing branch wakes its waiting parent before it ends, so an {@link Activity} never sees
     * a moment where neither runs.
     */
    private void finish(Branch b) {
      synchronized (this) {
        finished.add(b);
        if (parentWaiting) {
          parentWaiting = false;
          activity.unblocked(true, what);
        }
      }
      activity.threadEnded();
    }

    private Branch next() throws Exception {
      synchronized (this) {
        if (finished.isEmpty()) {
          parentWaiting = true;
          activity.blocked(true, what);
        }
      }
      try {
        return finished.take();
      } catch (InterruptedException e) {
        stopOthers(null);
        list.forEach(x -> x.undoMoveTo(ctx.undo));
        throw cancelled(what);
      } finally {
        synchronized (this) {
          if (parentWaiting) {
            parentWaiting = false;
            activity.unblocked(true, what);
          }
        }
      }
    }

    /** Interrupts every branch but {@code keep} and waits for them to end. */
    private void stopOthers(Branch keep) {
      for (Branch b : list) {
        if (b != keep) {
          b.thread.interrupt();
        }
      }
      boolean interrupted = false;
      for (Branch b : list) {
        while (b != keep) {
          try {
            b.thread.join();
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** {@code effect.describe()} for the activity observer; null (not built) when there is none. */
  private String described(Effect<?> effect) {
    return activity == Activity.NONE ? null : effect.describe();
  }

  private <T> T await(CompletableFuture<T> future, boolean controlled, Effect<?> effect) throws Exception {
    if (!future.isDone()) {
      String what = described(effect);
      activity.blocked(controlled, what);
      try {
        return future.get();
      } catch (InterruptedException e) {
        future.cancel(true);
        throw cancelled(effect.describe());
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      } finally {
        activity.unblocked(controlled, what);
      }
    }
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  private static Exception rethrow(Throwable t) {
    if (t instanceof Error err) {
      throw err;
    }
    if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      return rethrow(t.getCause());
    }
    return (Exception) t;
  }

  private static SagaCancelledException cancelled(String what) {
    Thread.currentThread().interrupt();
    return new SagaCancelledException("cancelled while performing " + what);
  }
}
