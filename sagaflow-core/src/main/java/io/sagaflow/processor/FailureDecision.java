package io.sagaflow.processor;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/** What happens to a failed record; returned by {@link FailureHandler#onFailure}. */
public sealed interface FailureDecision {

  /**
   * Wait {@code delay} (the record's key or partition stays blocked as its ordering requires) then
   * call the handler again with {@code attempt + 1}.
   */
  static FailureDecision retryAfter(Duration delay) {
    return new RetryAfter(delay);
  }

  /** The record is finished; its offset may be committed. */
  static FailureDecision done() {
    return Done.INSTANCE;
  }

  /**
   * The record is being handed off (written to a dead-letter or retry topic, say) and is finished
   * once {@code handedOff} completes normally: the processor does not wait for it, so the record's
   * key or partition goes on with its next record at once, and hand-offs of many records overlap
   * (a producer batches them); the record's offset is committed only after {@code handedOff}
   * completed. If it completes exceptionally, the record stays unfinished and the processor calls
   * the failure handler again for it (same error and attempt), off the record's lane, backing off
   * as when the handler throws, until a hand-off succeeds or the record is given up (partition
   * revoked, processor closing). A {@code retryAfter} decision on such a repeated call only delays
   * the next call: the record handler is not run again, since later records of its key may have
   * been processed meanwhile. In exactly-once mode the processor waits for {@code handedOff} before
   * it goes on.
   *
   * <pre>{@code
   * FailureHandler h = failed -> FailureDecision.doneWhen(
   *     deadLetterProducer.send(copyOf(failed)));   // CompletableFuture of the ack
   * }</pre>
   */
  static FailureDecision doneWhen(CompletionStage<?> handedOff) {
    return new DoneWhen(handedOff);
  }

  /** Stop the processor; the record is not committed (it is redelivered on restart). */
  static FailureDecision stop() {
    return Stop.INSTANCE;
  }

  /** See {@link FailureDecision#retryAfter(Duration)}. */
  record RetryAfter(Duration delay) implements FailureDecision {
    public RetryAfter {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("retryAfter delay (" + delay + ") must not be negative");
      }
    }
  }

  /** See {@link FailureDecision#doneWhen(CompletionStage)}. */
  record DoneWhen(CompletionStage<?> handedOff) implements FailureDecision {
    public DoneWhen {
      Objects.requireNonNull(handedOff, "handedOff");
    }
  }

  /** See {@link FailureDecision#done()}. */
  enum Done implements FailureDecision {
    INSTANCE
  }

  /** See {@link FailureDecision#stop()}. */
  enum Stop implements FailureDecision {
    INSTANCE
  }
}
