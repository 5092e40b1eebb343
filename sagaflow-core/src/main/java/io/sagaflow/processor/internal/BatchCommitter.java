package io.sagaflow.processor.internal;

/**
 * {@code CommitStrategy.SYNC_PER_BATCH}: every turn commits what finished and waits for it. While
 * a close drains, it commits asynchronously by the interval instead, so the drain is not slowed.
 */
final class BatchCommitter extends ConsumerCommitter {
  BatchCommitter(LoopParts<?, ?> parts) {
    super(parts);
  }

  @Override
  public void onTurn(long now) {
    commitSync(assignment.states());
  }

  @Override
  public long capPark(long now, long waitNanos) {
    return waitNanos; // no commit time to wait for (parking until one would busy-loop)
  }
}
