package io.sagaflow.processor.internal;

import java.util.Collection;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/** {@code CommitStrategy.NONE}: offsets are tracked, never committed. */
final class NoCommitter implements Committer {
  @Override
  public void start(long now) {}

  @Override
  public void onTurn(long now) {}

  @Override
  public long capPark(long now, long waitNanos) {
    return waitNanos;
  }

  @Override
  public void onRevoked(List<PartitionState> revoked) {}

  @Override
  public void onLost(List<PartitionState> lost, Collection<TopicPartition> partitions) {}

  @Override
  public void whileDraining(long now) {}

  @Override
  public void onClose() {}
}
