package io.sagaflow.processor.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a commit carries, per partition: the first unfinished offset, with the finished offsets
 * above it encoded in the metadata (see {@link OffsetMetadataCodec}); nothing for a partition
 * whose last commit said the same. Sets {@link PartitionState#overCap} when the metadata would pass
 * its cap, so that the partition takes no new records until the gap closes, instead of dropping
 * the map; clears it when the metadata fits again.
 */
final class CommitOffsets {
  private static final Logger LOG = LoggerFactory.getLogger(CommitOffsets.class);

  private CommitOffsets() {}

  /** The offsets to commit of {@code ss}; an empty map when there is nothing new. */
  static Map<TopicPartition, OffsetAndMetadata> collect(Collection<PartitionState> ss, int maxChars) {
    Map<TopicPartition, OffsetAndMetadata> out = null;
    for (PartitionState s : ss) {
      long offset = s.tracker.commitOffset();
      if (offset < 0) {
        continue;
      }
      OffsetMetadataCodec.Encoded e = s.tracker.encode(maxChars);
      if (e.overflow() != s.overCap) {
        s.overCap = e.overflow();
        if (s.overCap) {
          LOG.warn("{}: too many out-of-order completions above offset {} for the commit metadata; "
              + "not taking new records from it until the gap closes", s.tp, offset);
        } else {
          LOG.info("{}: commit metadata fits again; resuming", s.tp);
        }
      }
      OffsetAndMetadata om = new OffsetAndMetadata(offset, e.metadata());
      if (!om.equals(s.lastCommitted)) {
        if (out == null) {
          out = new HashMap<>();
        }
        out.put(s.tp, om);
      }
    }
    return out == null ? Map.of() : out;
  }
}
