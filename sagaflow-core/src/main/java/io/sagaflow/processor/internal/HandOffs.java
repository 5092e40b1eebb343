package io.sagaflow.processor.internal;

import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.FailureHandler;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed records handed off asynchronously ({@link FailureDecision#doneWhen}): finished when the
 * hand-off completes, asked about again when it fails. At-least-once only.
 *
 * <p>Design note. The lane that ran the record has moved on, so nothing here may touch it or its
 * {@link CompletionReporter}: a record whose hand-off succeeds is finished with a {@link
 * Command.Ack} straight to its poll loop (out-of-order completion; the offset tracker keeps the
 * commit below it until then, so the offset is never committed before the hand-off is
 * acknowledged). The completion callback may run on a producer's I/O thread, so it only enqueues;
 * a failed hand-off starts a virtual thread that backs off and calls the failure handler again,
 * until it is handed off, the handler decides stop, or the record is given up (partition revoked,
 * processor closing or stopped), in which case it is reported dropped. While it retries, the
 * record counts in flight and shows as stalled.
 */
final class HandOffs<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(HandOffs.class);

  private final FailureHandler failureHandler;
  private final String groupId;
  private final boolean finishOnAck;
  private final StallWatch stalls;
  private final ProcessorRuntime<K, V> runtime;
  private final Backoff backoff;

  HandOffs(FailureHandler failureHandler, String groupId, boolean finishOnAck, StallWatch stalls,
      ProcessorRuntime<K, V> runtime, Backoff backoff) {
    this.failureHandler = failureHandler;
    this.groupId = groupId;
    this.finishOnAck = finishOnAck;
    this.stalls = stalls;
    this.runtime = runtime;
    this.backoff = backoff;
  }

  /** Finishes {@code d} once {@code decision}'s hand-off completes; retries it if it fails. */
  void watch(Delivery<K, V> d, FailureDecision.DoneWhen decision, Throwable error, int attempt) {
    watch(d, decision, error, attempt, null, 0);
  }

  private void watch(Delivery<K, V> d, FailureDecision.DoneWhen decision, Throwable error, int attempt,
      StallWatch.Entry stall, int calls) {
    decision.handedOff().whenComplete((ignored, failure) -> {
      if (failure == null) {
        if (stall != null) {
          stalls.cleared(stall);
        }
        finish(d);
      } else {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        Thread.ofVirtual().name("sagaflow-handoff").start(() -> retry(d, error, attempt, cause, stall, calls + 1));
      }
    });
  }

  private void finish(Delivery<K, V> d) {
    if (!finishOnAck || d.claimFinish()) {
      d.loop.enqueue(new Command.Ack(d));
    }
  }

  /** Off the lane: backs off and asks the failure handler again until the record is handed off. */
  private void retry(Delivery<K, V> d, Throwable error, int attempt, Throwable handOffFailure,
      StallWatch.Entry stall, int calls) {
    Throwable last = handOffFailure;
    for (int call = calls; ; call++) {
      stall = stalls.failed(stall, d.state.tp, d.raw.offset(), d.keyIfDeserialized(), d.raw.key(), attempt, error);
      long wait = backoff.delayMillis(call);
      LOG.warn("Hand-off of failed record {} (attempt {}) failed, calling the failure handler again in {} ms",
          d, attempt, wait, last);
      runtime.recordError(last);
      if (!sleep(d, wait)) {
        drop(d, stall);
        return;
      }
      FailureDecision decision;
      try {
        decision = failureHandler.onFailure(new FailedRecord(d.raw, error, attempt, groupId, d));
        if (decision == null) {
          throw new NullPointerException("FailureHandler returned null; return a FailureDecision");
        }
      } catch (Throwable t) {
        last = t;
        continue;
      }
      switch (decision) {
        case FailureDecision.DoneWhen later -> {
          watch(d, later, error, attempt, stall, call);
          return;
        }
        case FailureDecision.Done done -> {
          stalls.cleared(stall);
          finish(d);
          return;
        }
        case FailureDecision.Stop stop -> {
          runtime.stopOnFailure(error, d);
          drop(d, stall);
          return;
        }
        case FailureDecision.RetryAfter r -> {
          // Only delays the next call: the record's key may have moved on, so it is not run again.
          if (!sleep(d, r.delay().toMillis())) {
            drop(d, stall);
            return;
          }
          last = new IllegalStateException("the failure handler decided retryAfter(" + r.delay()
              + ") for a record whose hand-off failed; asking it again");
        }
      }
    }
  }

  private boolean abandoned(Delivery<K, V> d) {
    return d.state.revoked || d.loop.aborted || runtime.stopping;
  }

  /** Waits unless the record is given up meanwhile (checked every 100 ms); true if still wanted. */
  private boolean sleep(Delivery<K, V> d, long millis) {
    long deadline = System.nanoTime() + Duration.ofMillis(millis).toNanos();
    while (!abandoned(d)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      LockSupport.parkNanos(this, Math.min(left, 100_000_000L));
    }
    return false;
  }

  /** Given up: leaves in-flight accounting unfinished (its offset is not committed). */
  private void drop(Delivery<K, V> d, StallWatch.Entry stall) {
    if (stall != null) {
      stalls.cleared(stall);
    }
    if (!finishOnAck || d.claimFinish()) {
      d.loop.enqueue(new Command.Completion(d.state, new long[0], 0, 1, d.bytes));
    }
  }
}
