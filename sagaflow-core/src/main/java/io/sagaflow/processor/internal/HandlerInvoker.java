package io.sagaflow.processor.internal;

import io.sagaflow.processor.BatchHandler;
import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.FailureHandler;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.processor.RecordHandler;
import io.sagaflow.tracing.Tracing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invokes the user's handler for a record (or batch) and, when it fails, the {@link
 * FailureHandler} (retry in place, finish, stop). Stateless apart from its configuration; shared
 * by all lanes of a processor, which the {@link LaneScheduler} runs. A record that fails is
 * reported to the {@link StallWatch} at each failure and cleared when it leaves the retry loop; in
 * at-most-once mode a failure drops the record at once (its offset was committed before it ran).
 * In exactly-once mode the copies a failure handler writes of a record it finishes are handed to
 * {@link FailureCopies}; if a topic rejects them the failure handler is asked again after a backoff.
 * A {@code doneWhen} decision hands the record to {@link HandOffs} and frees the lane at once.
 */
final class HandlerInvoker<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(HandlerInvoker.class);
  /** Between calls of a failure handler that throws: 100 ms doubling, capped at 30 s. */
  private static final Backoff HANDOFF_BACKOFF =
      Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(30), 0.0);
  /**
   * Exactly-once, between attempts to write a failure handler's copies that a topic rejected: 100
   * ms doubling, capped at 5 s, so a fixed topic is written within seconds while a broken one sees
   * at most one attempt per record every 5 s.
   */
  static final Backoff COPY_BACKOFF =
      Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(5), 0.0);

  /** Outcomes of {@link #runRecord}. */
  static final int SUCCEEDED = 0;

  static final int FINISHED = 1;
  static final int DROPPED = 2;
  /** {@link #writeCopies}: a topic rejected them; ask the failure handler again. */
  private static final int COPIES_REJECTED = -1;

  private final RecordHandler<K, V> handler;
  private final BatchHandler<K, V> batchHandler;
  private final FailureHandler failureHandler;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final String groupId;
  private final boolean finishOnAck;
  private final boolean exactlyOnce;
  private final boolean atMostOnce;
  private final StallWatch stalls;
  private final Metrics metrics;
  private final Tracing tracing;
  private final ProcessorRuntime<K, V> runtime;
  private final HandOffs<K, V> handOffs;
  final LaneScheduler scheduler;

  HandlerInvoker(
      RecordHandler<K, V> handler,
      BatchHandler<K, V> batchHandler,
      FailureHandler failureHandler,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer,
      String groupId,
      boolean finishOnAck,
      Metrics metrics,
      StallWatch stalls,
      ProcessorRuntime<K, V> runtime) {
    this.handler = handler;
    this.batchHandler = batchHandler;
    this.failureHandler = failureHandler;
    this.keyDeserializer = keyDeserializer;
    this.valueDeserializer = valueDeserializer;
    this.groupId = groupId;
    this.finishOnAck = finishOnAck;
    this.exactlyOnce = runtime.transactionalIdPrefix != null;
    this.atMostOnce = runtime.options.commitStrategy() == CommitStrategy.AT_MOST_ONCE;
    this.stalls = stalls;
    this.metrics = metrics;
    this.tracing = runtime.options.tracing();
    this.runtime = runtime;
    this.handOffs = new HandOffs<>(failureHandler, groupId, finishOnAck, stalls, runtime, HANDOFF_BACKOFF);
    this.scheduler = runtime.options.blockingHandlers()
        ? LaneScheduler.perLane()
        : new LaneScheduler(Math.max(2, Runtime.getRuntime().availableProcessors()));
  }

  /** Processes one lane item (a Delivery or a Delivery[] batch). Never throws. */
  @SuppressWarnings("unchecked")
  void process(Object item, CompletionReporter w) {
    if (item instanceof Delivery<?, ?> one) {
      Delivery<K, V> d = (Delivery<K, V>) one;
      try {
        if (abandonedOrStopped(d, w)) {
          w.dropped(d);
        } else {
          int outcome;
          Tracing.Span span = tracing.record(groupId, d.raw);
          Tracing.Scope scope = span.attach(); // the handler's sends and a saga's run are children of the span
          try {
            outcome = runRecord(d, w, null, false);
            span.end(outcome == SUCCEEDED ? null : d.tracedError);
          } catch (Throwable t) {
            span.end(t);
            throw t;
          } finally {
            scope.close();
          }
          if (outcome == SUCCEEDED && !finishOnAck) {
            finish(d, w);
          }
        }
      } catch (Throwable t) {
        LOG.error("Unexpected error processing {}; the record stays unfinished", d, t);
        runtime.recordError(t);
        w.dropped(d);
      }
    } else {
      processBatch((Delivery<K, V>[]) item, w);
    }
  }

  /**
   * Reports a record finished; in exactly-once mode together with handing its outputs to the
   * transaction, under the transaction gate.
   */
  private void finish(Delivery<K, V> d, CompletionReporter w) {
    if (exactlyOnce) {
      d.loop.transactions.publishFinished(d, w);
    } else {
      w.finished(d);
    }
  }

  private boolean abandonedOrStopped(Delivery<K, V> d, CompletionReporter w) {
    return w.abandoned(d) || runtime.stopping;
  }

  private void processBatch(Delivery<K, V>[] batch, CompletionReporter w) {
    List<ProcessorRecord<K, V>> ok = new ArrayList<>(batch.length);
    List<Delivery<K, V>> okDeliveries = new ArrayList<>(batch.length);
    for (Delivery<K, V> d : batch) {
      if (abandonedOrStopped(d, w)) {
        w.dropped(d);
        continue;
      }
      try {
        d.deserialize(keyDeserializer, valueDeserializer);
        ok.add(d);
        okDeliveries.add(d);
      } catch (Throwable t) {
        metrics.failed();
        // A poison pill never reaches the batch handler; it goes to the failure handler alone.
        finishIfWanted(d, w, runFailure(d, w, t));
      }
    }
    if (ok.isEmpty()) {
      return;
    }
    long t0 = metrics.enabled() ? System.nanoTime() : 0;
    Throwable error;
    try {
      batchHandler.handle(Collections.unmodifiableList(ok));
      if (!exactlyOnce) {
        for (Delivery<K, V> d : okDeliveries) {
          d.awaitOutputs();
        }
      }
      metrics.processed(t0, ok.size());
      if (!finishOnAck) {
        for (Delivery<K, V> d : okDeliveries) {
          finish(d, w);
        }
      }
      return;
    } catch (Throwable t) {
      error = t;
      metrics.failed();
    }
    for (Delivery<K, V> d : okDeliveries) {
      if (abandonedOrStopped(d, w)) {
        w.dropped(d);
        continue;
      }
      finishIfWanted(d, w, runFailure(d, w, error));
    }
  }

  private void finishIfWanted(Delivery<K, V> d, CompletionReporter w, int outcome) {
    if (outcome == SUCCEEDED && !finishOnAck) {
      finish(d, w);
    }
  }

  private int runFailure(Delivery<K, V> d, CompletionReporter w, Throwable error) {
    try {
      return runRecord(d, w, error, false);
    } catch (Throwable t) {
      LOG.error("Unexpected error processing {}; the record stays unfinished", d, t);
      runtime.recordError(t);
      w.dropped(d);
      return DROPPED;
    }
  }

  /**
   * Runs the handler (or, with {@code deserializeOnly}, just the deserializers) until it succeeds or
   * the failure handler decides otherwise. With a non-null {@code firstError} the first call is
   * skipped: that error is the first failure. Returns SUCCEEDED (the caller finishes the record),
   * FINISHED (a done decision already finished it) or DROPPED.
   */
  int runRecord(Delivery<K, V> d, CompletionReporter w, Throwable firstError, boolean deserializeOnly) {
    StallWatch.Entry stall = null; // set once the record failed: the success path only checks null
    try {
      Throwable error = firstError;
      int attempt = 1;
      for (; ; ) {
        if (error == null) {
          long t0 = metrics.enabled() ? System.nanoTime() : 0;
          try {
            d.deserialize(keyDeserializer, valueDeserializer);
            if (!deserializeOnly) {
              d.attempt = attempt;
              invoke(d);
              if (!exactlyOnce) {
                d.awaitOutputs(); // at-least-once: finished only once its outputs are durable
              }
              metrics.processed(t0, 1);
            }
            return SUCCEEDED;
          } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
              throw vme;
            }
            error = t;
            d.tracedError = t;
            metrics.failed();
          }
        }
        d.discardOutputs(error);
        if (atMostOnce) {
          // Its offset is committed already; retrying would be processing late (see the mode).
          LOG.warn("At-most-once: record {} failed and is dropped (not retried): {}", d, error.toString());
          LOG.debug("Failure of dropped record {}", d, error);
          finish(d, w);
          return FINISHED;
        }
        stall = stalls.failed(stall, d.state.tp, d.raw.offset(), d.keyIfDeserialized(),
            d.raw.key(), attempt, error);
        FailureDecision decision;
        for (int writes = 1; ; writes++) {
          decision = decide(d, w, error, attempt);
          if (!exactlyOnce || !(decision instanceof FailureDecision.Done) || !d.hasOutputs()) {
            break;
          }
          int outcome = writeCopies(d, w, stall, writes);
          if (outcome != COPIES_REJECTED) {
            return outcome;
          }
        }
        if (decision == null) {
          w.dropped(d);
          return DROPPED;
        }
        if (decision instanceof FailureDecision.DoneWhen later) {
          // Handed off without waiting: the lane goes on; the record finishes when it completes.
          handOffs.watch(d, later, error, attempt);
          return FINISHED;
        }
        if (decision instanceof FailureDecision.Done) {
          if (!finishOnAck || d.claimFinish()) {
            finish(d, w);
          }
          return FINISHED;
        }
        if (decision instanceof FailureDecision.Stop) {
          w.halted = true;
          w.dropped(d);
          runtime.stopOnFailure(error, d);
          return DROPPED;
        }
        Duration delay = ((FailureDecision.RetryAfter) decision).delay();
        if (!w.sleep(delay, d)) {
          w.dropped(d);
          return DROPPED;
        }
        attempt++;
        error = null;
      }
    } finally {
      if (stall != null) {
        stalls.cleared(stall);
      }
    }
  }

  /**
   * Exactly-once, the failure handler decided done after writing the record elsewhere (retry or
   * dead-letter topic): those copies are written apart from the shared transaction, so that a
   * topic which rejects them holds back this record alone (see FailureCopies). Returns FINISHED,
   * DROPPED, or COPIES_REJECTED after backing off (health DOWN, naming the cause, meanwhile).
   */
  private int writeCopies(Delivery<K, V> d, CompletionReporter w, StallWatch.Entry stall, int writes) {
    FailureCopies.Handoff h = d.loop.transactions.handOff(d, w);
    int outcome = h.await(w);
    if (outcome == FailureCopies.WRITTEN) {
      return FINISHED;
    }
    if (outcome == FailureCopies.ABANDONED) {
      w.dropped(d);
      return DROPPED;
    }
    long backoff = COPY_BACKOFF.delayMillis(writes);
    stalls.copyRejected(stall, h.error());
    runtime.recordError(h.error());
    if (Integer.bitCount(writes) == 1) { // 1st, 2nd, 4th, 8th ... failure: the log stays readable
      LOG.warn("{} stays unfinished (write {} failed), writing it again in {} ms: {}",
          d, writes, backoff, h.error().getMessage());
    }
    if (!w.sleep(Duration.ofMillis(backoff), d)) {
      w.dropped(d);
      return DROPPED;
    }
    return COPIES_REJECTED;
  }

  private void invoke(Delivery<K, V> d) throws Exception {
    if (handler != null) {
      handler.handle(d);
    } else {
      batchHandler.handle(List.of(d));
    }
  }

  /** Asks the failure handler, backing off while it throws; null if the record was abandoned. */
  private FailureDecision decide(Delivery<K, V> d, CompletionReporter w, Throwable error, int attempt) {
    for (int calls = 1; ; calls++) {
      if (w.abandoned(d)) {
        return null;
      }
      try {
        FailureDecision decision =
            failureHandler.onFailure(new FailedRecord(d.raw, error, attempt, groupId, d));
        if (decision == null) {
          throw new NullPointerException("FailureHandler returned null; return a FailureDecision");
        }
        if (exactlyOnce && decision instanceof FailureDecision.DoneWhen later) {
          // The transaction that commits the offset must not start before the hand-off is done.
          later.handedOff().toCompletableFuture().get();
          return FailureDecision.done();
        }
        return decision;
      } catch (Throwable t) {
        long backoff = HANDOFF_BACKOFF.delayMillis(calls);
        LOG.warn(
            "FailureHandler could not hand off {} (attempt {}), calling it again in {} ms",
            d, attempt, backoff, t);
        runtime.recordError(t);
        if (!w.sleep(Duration.ofMillis(backoff), d)) {
          return null;
        }
      }
    }
  }
}
