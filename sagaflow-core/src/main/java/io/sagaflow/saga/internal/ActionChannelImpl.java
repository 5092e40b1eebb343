package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionChannelBuffer;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.ActionSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An open action channel: converts and filters actions delivered by the {@link ActionSource} (on
 * its thread, so never blocking) into a buffer. A conversion error, a throwing predicate or a full
 * buffer fail the channel; a failed or closed channel makes waiting and later takes throw.
 */
final class ActionChannelImpl<P> implements ActionChannel<P> {
  private final ActionPattern<P> pattern;
  final ActionChannelBuffer<Action<P>> buffer;
  private final ActionCodec codec;
  /** Completes exceptionally when the channel fails or closes; never completes normally. */
  final CompletableFuture<Void> failure = new CompletableFuture<>();
  private volatile ActionSource.Subscription subscription;

  ActionChannelImpl(ActionPattern<P> pattern, ActionChannelBuffer<Action<P>> buffer, ActionCodec codec) {
    this.pattern = pattern;
    this.buffer = buffer;
    this.codec = codec;
  }

  /** The type payloads are converted to. */
  Class<P> payloadType() {
    return pattern.payloadType();
  }

  void attach(ActionSource.Subscription sub) {
    this.subscription = sub;
    if (failure.isDone()) {
      sub.close();
    }
  }

  void deliver(Action<?> raw) {
    if (failure.isDone()) {
      return;
    }
    Action<P> action;
    try {
      action = codec.convert(raw, pattern.payloadType());
    } catch (ActionDecodingException e) {
      fail(e);
      return;
    }
    try {
      if (!pattern.predicate().test(action)) {
        return;
      }
    } catch (RuntimeException e) {
      fail(new IllegalStateException("the predicate of the action channel on " + topics() + " threw " + e, e));
      return;
    }
    if (!buffer.offer(action)) {
      fail(new IllegalStateException("the action channel on " + topics() + " is full (capacity "
          + buffer.capacity() + ") and failed; take from it sooner or open it with a larger ActionChannelBuffer"));
    }
  }

  void fail(RuntimeException cause) {
    if (failure.completeExceptionally(cause)) {
      closeSubscription();
    }
  }

  private void closeSubscription() {
    ActionSource.Subscription sub = subscription;
    if (sub != null) {
      sub.close();
    }
  }

  @Override
  public List<String> topics() {
    return pattern.topics();
  }

  @Override
  public int size() {
    return buffer.size();
  }

  /**
   * What {@link #failure} holds once the channel is closed (every saga run closes its channels when
   * it ends, so closing must not build an exception); {@link #failureCause} turns it into one.
   */
  private static final RuntimeException CLOSED = new RuntimeException("closed", null, false, false) {
    private static final long serialVersionUID = 1L;
  };

  @Override
  public void close() {
    if (failure.completeExceptionally(CLOSED)) {
      closeSubscription();
    }
  }

  /** Why the channel failed, as the exception a take throws; null while it has not failed. */
  RuntimeException failureCause() {
    if (!failure.isCompletedExceptionally()) {
      return null;
    }
    Throwable cause = failure.exceptionNow();
    if (cause == CLOSED) {
      return new IllegalStateException("the action channel on " + topics() + " is closed");
    }
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }

  @Override
  public String toString() {
    return "ActionChannel" + topics();
  }
}
