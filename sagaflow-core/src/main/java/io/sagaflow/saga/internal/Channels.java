package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionChannelBuffer;
import io.sagaflow.saga.ActionChannelOpen;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Take;
import java.util.LinkedHashSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The channel effects: {@code actionChannel} opens a channel, {@code take} waits for the next
 * action of a channel, and a take that will not be used gives its action back.
 *
 * <p>Design: a channel is an {@link ActionChannelImpl} subscribed to the {@link ActionSource}; its
 * buffer hands out actions as futures ({@link ActionChannelBuffer#takeAsync}). A take that ends
 * without using its action (interrupted, its channel failed meanwhile, the losing branch of a
 * race) gives the action back to the front of the buffer, so no action is ever lost. Inside a race
 * branch a take also logs how to give its action back in the branch's {@link UndoLog}, for when
 * the branch loses after the take returned. A pattern take sees only what arrives from now on,
 * through a channel of its own that it closes.
 */
final class Channels {
  private final ActionSource source;
  private final ActionCodec codec;
  private final int capacity;
  private final Activity activity;
  private final Waiter waiter;

  Channels(ActionSource source, ActionCodec codec, int capacity, Activity activity, Waiter waiter) {
    this.source = source;
    this.codec = codec;
    this.capacity = capacity;
    this.activity = activity;
    this.waiter = waiter;
  }

  /** The {@code actionChannel} effect: a channel that lives until the run ends. */
  <P> ActionChannelImpl<P> open(ActionChannelOpen<P> open, SagaContextImpl ctx) {
    ActionChannelImpl<P> channel = subscribe(open.pattern(), open.buffer(), ctx);
    ctx.run.register(channel);
    return channel;
  }

  /** A channel for one pattern take, with the default buffer; the caller closes it. */
  <P> ActionChannelImpl<P> openForTake(ActionPattern<P> pattern, SagaContextImpl ctx) {
    return subscribe(pattern, null, ctx);
  }

  private <P> ActionChannelImpl<P> subscribe(ActionPattern<P> pattern, ActionChannelBuffer<Action<P>> buffer,
      SagaContextImpl ctx) {
    ActionChannelImpl<P> channel = new ActionChannelImpl<>(pattern,
        buffer != null ? buffer : ActionChannelBuffer.bounded(capacity), codec);
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

  /** The {@code take} effect. */
  <P> Action<P> take(Take<P> take, SagaContextImpl ctx) throws Exception {
    if (take.channel() != null) {
      ActionChannel<P> ch = take.channel();
      if (!(ch instanceof ActionChannelImpl<P> channel)) {
        throw new IllegalArgumentException("take needs a channel opened with SagaContext.actionChannel, not a "
            + ch.getClass().getName());
      }
      Action<P> action;
      try {
        action = takeFrom(channel, take, ctx);
      } finally {
        ctx.passTurn(); // the channel had failed before the claim
      }
      if (ctx.undo != null) {
        ctx.undo.add(() -> channel.buffer.pushFront(action));
      }
      return action;
    }
    ActionChannelImpl<P> channel = openForTake(take.pattern(), ctx);
    try {
      return takeFrom(channel, take, ctx);
    } finally {
      channel.close();
    }
  }

  private <P> Action<P> takeFrom(ActionChannelImpl<P> channel, Effect<?> take, SagaContextImpl ctx)
      throws Exception {
    if (channel.failure.isDone()) {
      throw failureOf(channel);
    }
    CompletableFuture<Action<P>> next = channel.buffer.takeAsync();
    ctx.passTurn(); // claimed: the next sibling branch may claim now (ClaimOrder)
    if (!next.isDone()) {
      String what = waiter.described(take);
      activity.blocked(true, what);
      try {
        CompletableFuture.anyOf(next, channel.failure).get();
      } catch (InterruptedException e) {
        giveBack(channel, next);
        throw Waiter.cancelled(take.describe());
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

  /** Ends a pending take: cancels it or, if it got an action meanwhile, returns that to the channel. */
  static <P> void giveBack(ActionChannelImpl<P> channel, CompletableFuture<Action<P>> next) {
    if (!next.cancel(false) && !next.isCancelled()) {
      channel.buffer.pushFront(next.join());
    }
  }

  /** {@link #giveBack} for a take whose payload type is not known statically. */
  @SuppressWarnings("unchecked")
  static <P> void giveBackAny(ActionChannelImpl<P> channel, CompletableFuture<? extends Action<?>> next) {
    giveBack(channel, (CompletableFuture<Action<P>>) next);
  }

  /** Returns an action a take consumed to the front of its channel. */
  @SuppressWarnings("unchecked")
  static <P> void pushBack(ActionChannelImpl<P> channel, Action<?> action) {
    channel.buffer.pushFront((Action<P>) action);
  }

  /** What a take on the failed {@code channel} throws. */
  static RuntimeException failureOf(ActionChannelImpl<?> channel) {
    RuntimeException cause = channel.failureCause();
    return cause != null ? cause : new IllegalStateException("unreachable: the channel has not failed");
  }
}
