package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaException;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.tracing.Tracing;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The effect interpreter: starts saga runs and performs their effects.
 *
 * <p>Design: a saga runs as blocking code on a virtual thread. Every effect, whatever its kind and
 * whichever logical thread performs it, takes the same path:
 *
 * <ol>
 *   <li>it gets its deterministic id ({@link EffectIds}): the next id of its logical thread in
 *       {@link SagaContextImpl#perform}, or its branch id in {@link ForkJoin};
 *   <li>{@link #perform} sends it through the middleware ({@link MiddlewareChain});
 *   <li>past the middleware, {@link EffectExecutor#execute} executes it through the
 *       {@link EffectRecorder}, the seam a durable journal will use; the executor hands each kind
 *       to its part: {@link Channels} (actionChannel, take, giving actions back), {@link ForkJoin}
 *       (all), {@link Races} (race) and {@link Waiter} (waiting on acks, calls and timers).
 * </ol>
 *
 * Cancellation is thread interruption: every wait turns it into {@link SagaCancelledException}
 * after cancelling what it waited for. A run that throws anything else first runs its registered
 * compensation steps ({@link Compensations}), as effects on the same path, then completes
 * exceptionally. Branches of an all or a race claim from shared channels in declaration order
 * ({@link ClaimOrder}).
 */
public final class SagaEngine {
  private static final Logger SAGA_LOG = LoggerFactory.getLogger("io.sagaflow.saga.Saga");
  /** The MDC key holding the transaction id on every saga thread, for log correlation. */
  public static final String MDC_TRANSACTION_ID = "sagaflow.transactionId";

  private final List<SagaMiddleware> middleware;
  private final Timer timer;
  private final ActionCodec codec;
  private final Activity activity;
  private final EffectExecutor executor;
  private final Observers observers;
  private final boolean observed;
  /** The effect result seam; a context asks it for its run key ({@link SagaContextImpl#idempotencyKey}). */
  final EffectRecorder recorder;
  /** Blocks saga threads; a journal waits out a replayed delay's remainder with it. */
  final Waiter waiter;

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
    this(middleware, publisher, source, timer, recorder, codec, channelCapacity, activity, Observers.NONE);
  }

  /** An engine whose runs and effects are measured and traced by {@code observers}. */
  public SagaEngine(List<SagaMiddleware> middleware, ActionPublisher publisher, ActionSource source, Timer timer,
      EffectRecorder recorder, ActionCodec codec, int channelCapacity, Activity activity, Observers observers) {
    this.observers = Objects.requireNonNull(observers, "observers");
    this.observed = observers.on();
    this.middleware = List.copyOf(middleware);
    Objects.requireNonNull(publisher, "publisher");
    Objects.requireNonNull(source, "source");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.codec = Objects.requireNonNull(codec, "codec");
    if (channelCapacity <= 0) {
      throw new IllegalArgumentException("channelCapacity (" + channelCapacity + ") must be positive");
    }
    this.activity = Objects.requireNonNull(activity, "activity");
    this.waiter = new Waiter(activity, timer);
    Channels channels = new Channels(source, codec, channelCapacity, activity, waiter);
    boolean unobserved = this.middleware.isEmpty() && recorder == EffectRecorder.PASS_THROUGH
        && activity == Activity.NONE;
    Races races = new Races(unobserved, channels, timer, activity);
    this.executor = new EffectExecutor(recorder, publisher, timer, activity, waiter, channels, races, observers.metrics());
  }

  /** The codec payloads are converted with. */
  public ActionCodec codec() {
    return codec;
  }

  /** What observes saga threads. */
  Activity activity() {
    return activity;
  }

  /** The timer delays use. */
  public Timer timer() {
    return timer;
  }

  /** A started saga run. */
  public static final class SagaRun {
    private final CompletableFuture<Object> done;
    private final Thread thread;
    private final RunState state;

    SagaRun(CompletableFuture<Object> done, Thread thread, RunState state) {
      this.done = done;
      this.thread = thread;
      this.state = state;
    }

    /**
     * Whether the saga is running compensation steps now (after it threw, on its request, or for a
     * race's losers); see {@code SagaContext.addCompensation}.
     */
    public boolean compensating() {
      return state.compensating();
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
    return start(saga, action, record, userContext, false);
  }

  /**
   * Starts {@code saga}; {@code resumed} when it is a durable run rebuilt from its journal (its run
   * span says so, see {@link Tracing#sagaRun(String, String, ConsumerRecord, boolean)}).
   */
  public <P> SagaRun start(Saga<P> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record, Object userContext,
      boolean resumed) {
    return startReturning((a, ctx) -> {
      saga.run(a, ctx);
      return null;
    }, action, record, userContext, resumed);
  }

  /** Starts a saga that returns a value. */
  public <P> SagaRun startReturning(ReturningSaga<P, ?> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record,
      Object userContext) {
    return startReturning(saga, action, record, userContext, false);
  }

  /**
   * Starts a probe of a durable run ({@link RestoreProbe}, registered with the recorder): no span,
   * no effect spans or metrics; it replays and stops, its outcome is the probe's.
   */
  <P> SagaRun probe(Saga<P> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record, Object userContext) {
    return startReturning((a, ctx) -> {
      saga.run(a, ctx);
      return null;
    }, action, record, userContext, false, true);
  }

  private <P> SagaRun startReturning(ReturningSaga<P, ?> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record,
      Object userContext, boolean resumed) {
    return startReturning(saga, action, record, userContext, resumed, false);
  }

  private <P> SagaRun startReturning(ReturningSaga<P, ?> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record,
      Object userContext, boolean resumed, boolean probe) {
    RunState run = new RunState(record, userContext, SAGA_LOG, action.topic());
    run.probe = probe;
    // Started here, on the caller's thread: a Processor's record span is current there, the parent.
    Tracing.Span span = probe ? Tracing.Span.NOOP : resumed
        ? observers.tracing().sagaRun(action.topic(), action.transactionId(), record, true)
        : observers.tracing().sagaRun(action.topic(), action.transactionId(), record);
    run.span = span;
    SagaContextImpl ctx = new SagaContextImpl(this, run, action, EffectIds.ROOT, null, null, new Compensations(false));
    CompletableFuture<Object> done = new CompletableFuture<>();
    activity.threadStarted();
    Thread thread = Thread.ofVirtual().name("saga-" + action.transactionId()).unstarted(() -> {
      MDC.put(MDC_TRANSACTION_ID, action.transactionId());
      Object result = null;
      Throwable failure = null;
      Tracing.Scope scope = span.attach();
      try {
        result = saga.run(action, ctx);
      } catch (Throwable t) {
        failure = t;
        if (t instanceof Exception && !(t instanceof SagaCancelledException)) {
          // A cancelled run (timeout, shutdown) is not compensated: its thread is interrupted, so
          // its steps could not wait for anything.
          ctx.compensations.runAfter(t, ctx, run.compensationOptions());
        }
      } finally {
        run.closeChannels();
        scope.close();
        span.end(failure);
        activity.threadEnded();
      }
      if (failure == null) {
        done.complete(result);
      } else {
        done.completeExceptionally(failure);
      }
    });
    thread.start();
    return new SagaRun(done, thread, run);
  }

  /** Performs {@code effect}, whose id is {@code id}, through the middleware chain; throws unchecked. */
  Object perform(Effect<?> effect, String id, SagaContextImpl ctx) {
    Objects.requireNonNull(effect, "effect");
    if (observed && !ctx.run.probe) {
      return performObserved(effect, id, ctx);
    }
    try {
      return MiddlewareChain.run(middleware, executor, 0, effect, id, ctx);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (InterruptedException e) {
      throw Waiter.cancelled(effect.describe());
    } catch (Exception e) {
      throw new SagaException(effect.describe() + " failed: " + e, e);
    }
  }

  /** {@link #perform} in the effect's span, timed. */
  private Object performObserved(Effect<?> effect, String id, SagaContextImpl ctx) {
    String kind = Observers.kind(effect);
    Tracing.Span span = observers.tracing().effect(ctx.run.span, kind, effect.describe());
    Tracing.Scope scope = span.attach(); // a put's producer span, and a call's effects, are children
    long t0 = System.nanoTime();
    Throwable failure = null;
    try {
      return MiddlewareChain.run(middleware, executor, 0, effect, id, ctx);
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } catch (InterruptedException e) {
      failure = e;
      throw Waiter.cancelled(effect.describe());
    } catch (Exception e) {
      failure = e;
      throw new SagaException(effect.describe() + " failed: " + e, e);
    } finally {
      scope.close();
      span.end(failure);
      observers.metrics().effect(ctx.run.topic, kind, System.nanoTime() - t0, failure != null);
    }
  }
}
