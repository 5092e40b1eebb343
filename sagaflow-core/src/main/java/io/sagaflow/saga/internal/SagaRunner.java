package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaMetrics;
import io.sagaflow.saga.SagaOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The seam between a topic consumer (the Processor) and the interpreter: runs one saga per input
 * record on a virtual thread and completes when it ends. A run that exceeds the timeout is
 * cancelled (interrupted; pending effects cancelled) and, once its thread has ended, completes
 * with a {@link TimeoutException}. Decoding failures complete the future with
 * {@link ActionDecodingException} without running anything, for the caller to dead-letter.
 */
public final class SagaRunner {
  private final SagaEngine engine;
  private final Timer timer;
  private final Duration timeout;
  private final Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory;
  private final Set<SagaEngine.SagaRun> running = ConcurrentHashMap.newKeySet();
  private final Observers observers;

  /**
   * A runner.
   *
   * @param engine the interpreter
   * @param timer time for timeouts
   * @param timeout the longest a run may take, or {@link SagaOptions#NO_TIMEOUT}
   * @param contextFactory builds the user context from the input record (null when none)
   */
  public SagaRunner(SagaEngine engine, Timer timer, Duration timeout,
      Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory) {
    this(engine, timer, timeout, contextFactory, Observers.NONE);
  }

  /** A runner whose runs are counted by {@code observers} (and traced by its saga consumers). */
  public SagaRunner(SagaEngine engine, Timer timer, Duration timeout,
      Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory, Observers observers) {
    this.observers = Objects.requireNonNull(observers, "observers");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.contextFactory = Objects.requireNonNull(contextFactory, "contextFactory");
  }

  /** Decodes {@code record} (payload converted to {@code payloadType}) and runs {@code saga} on it. */
  public <P> CompletableFuture<Void> run(Saga<P> saga, Class<P> payloadType, ConsumerRecord<byte[], byte[]> record) {
    Action<P> action;
    try {
      action = engine.codec().convert(engine.codec().decode(record), payloadType);
    } catch (ActionDecodingException e) {
      return CompletableFuture.failedFuture(e);
    }
    return run(saga, action, record);
  }

  /** Runs {@code saga} on a decoded action; {@code record} may be null. */
  public <P> CompletableFuture<Void> run(Saga<P> saga, Action<P> action, ConsumerRecord<byte[], byte[]> record) {
    Object userContext;
    try {
      userContext = contextFactory.apply(record);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("the saga context factory failed for "
          + action.topic() + " transaction " + action.transactionId() + ": " + e, e));
    }
    SagaMetrics metrics = observers.metrics();
    long t0 = System.nanoTime();
    SagaEngine.SagaRun run = engine.start(saga, action, record, userContext);
    running.add(run);
    metrics.sagaStarted(action.topic());
    AtomicBoolean timedOut = new AtomicBoolean();
    Timer.Scheduled deadline = scheduleDeadline(run, timedOut);
    CompletableFuture<Void> result = new CompletableFuture<>();
    run.done().whenComplete((v, e) -> {
      synchronized (running) {
        running.remove(run);
        running.notifyAll();
      }
      deadline.cancel();
      Throwable failure = timedOut.get() ? new TimeoutException("the saga for " + action.topic() + " transaction "
          + action.transactionId() + " did not finish within " + timeout + " and was cancelled") : e;
      metrics.sagaEnded(action.topic(), System.nanoTime() - t0, failure);
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(null);
      }
    });
    return result;
  }

  private Timer.Scheduled scheduleDeadline(SagaEngine.SagaRun run, AtomicBoolean timedOut) {
    if (timeout.equals(SagaOptions.NO_TIMEOUT)) {
      return () -> {}; // switched off: the run lasts until the saga ends or the runtime closes
    }
    try {
      return timer.schedule(timeout, () -> {
        timedOut.set(true);
        run.cancel();
      });
    } catch (IllegalStateException e) {
      run.cancel(); // the runtime is closing: its timer is gone
      return () -> {};
    }
  }

  /** Cancels every running saga (their futures complete once their threads ended). */
  public void cancelAll() {
    running.forEach(SagaEngine.SagaRun::cancel);
  }

  /** Waits up to {@code timeout} for every run to end; returns whether they all did. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (running) {
      while (!running.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        running.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /** The number of runs in progress. */
  public int running() {
    return running.size();
  }

  /** What watches the runs: the saga consumers trace their records and count dead letters with it. */
  public Observers observers() {
    return observers;
  }
}
