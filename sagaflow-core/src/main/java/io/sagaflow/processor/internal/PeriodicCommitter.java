package io.sagaflow.processor.internal;

/**
 * {@code CommitStrategy.PERIODIC_ASYNC} and {@code MANUAL}: an asynchronous commit every interval,
 * and also as soon as the loop becomes idle (nothing in flight, nothing waiting), at most every
 * tenth of the interval: the last records of a burst are then committed at once instead of up to
 * an interval later, without a commit per record when traffic trickles.
 */
final class PeriodicCommitter extends ConsumerCommitter {
  private long lastCommitNanos;

  PeriodicCommitter(LoopParts<?, ?> parts) {
    super(parts);
  }

  @Override
  public void onTurn(long now) {
    if (now - nextCommitNanos >= 0 || idleCommitDue(now)) {
      commitAsync();
      nextCommitNanos = now + intervalNanos;
      lastCommitNanos = now;
    }
  }

  private boolean idleCommitDue(long now) {
    return now - lastCommitNanos >= intervalNanos / 10 && assignment.idle();
  }

  @Override
  public long capPark(long now, long waitNanos) {
    return Math.min(waitNanos, Math.max(0, nextCommitNanos - now));
  }
}
