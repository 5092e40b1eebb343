package io.sagaflow.processor.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CommitStrategy.AT_MOST_ONCE}: each poll's records are committed, synchronously, before any
 * of them is dispatched; nothing is committed after handling (a later commit of the finished
 * offsets could only move the committed offset back), and records fetched again below the committed
 * offset are not committed again. A failed commit dispatches nothing: the
 * partitions are rewound to the poll's first records, which are fetched and committed again, so
 * no record ever runs uncommitted.
 */
final class AtMostOnceCommitter extends ConsumerCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(AtMostOnceCommitter.class);
  private final LoopStatus status;
  private final ProcessorRuntime<?, ?> runtime;
  private final String name;

  AtMostOnceCommitter(LoopParts<?, ?> parts) {
    super(parts);
    this.status = parts.status();
    this.runtime = parts.runtime();
    this.name = parts.name();
  }

  @Override
  public boolean beforeDispatch(ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      PartitionState s = assignment.get(tp);
      if (s == null || s.revoked) {
        continue;
      }
      var list = records.records(tp);
      long next = list.get(list.size() - 1).offset() + 1;
      // Records fetched again (a not-before rewind, a seek after a failed commit) never move the
      // committed offset back: that would deliver handled records again after a crash.
      if (s.lastCommitted == null || next > s.lastCommitted.offset()) {
        offsets.put(tp, new OffsetAndMetadata(next));
      }
    }
    if (offsets.isEmpty()) {
      return true;
    }
    try {
      consumer.commitSync(offsets, Duration.ofSeconds(30));
      offsets.forEach((tp, om) -> {
        assignment.get(tp).lastCommitted = om;
        status.committed(tp, om.offset());
      });
      return true;
    } catch (KafkaException e) {
      LOG.warn("At-most-once commit of {} failed; its records are fetched again and not handled "
          + "until their offsets are committed: {}", name, e.toString());
      runtime.recordError(e);
      var owned = consumer.assignment();
      for (TopicPartition tp : records.partitions()) {
        if (owned.contains(tp)) {
          consumer.seek(tp, records.records(tp).get(0).offset());
        }
      }
      return false;
    }
  }

  @Override
  public void onTurn(long now) {}

  @Override
  public long capPark(long now, long waitNanos) {
    return waitNanos;
  }

  @Override
  public void onRevoked(java.util.List<PartitionState> revoked) {}

  @Override
  public void whileDraining(long now) {}

  @Override
  public void onClose() {}
}
