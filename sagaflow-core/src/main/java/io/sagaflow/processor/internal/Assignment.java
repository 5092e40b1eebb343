package io.sagaflow.processor.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions a poll loop owns now, each with its {@link PartitionState}. Poll thread only.
 * Creating a state restores its {@link OffsetTracker} from the committed offset and metadata;
 * detaching one takes its records out of the processor's in-flight counts, so that completions
 * arriving later are ignored.
 */
final class Assignment {
  private static final Logger LOG = LoggerFactory.getLogger(Assignment.class);

  private final Map<TopicPartition, PartitionState> states = new HashMap<>();
  private final AtomicLong inFlight;
  private final AtomicLong bytes;
  /** Immutable copy of the partitions handed to deliveries; null when it must be rebuilt. */
  private Set<TopicPartition> view;
  private boolean foreignMetadataLogged;

  /** {@code inFlight} and {@code bytes} are the processor's counters, shared by its loops. */
  Assignment(AtomicLong inFlight, AtomicLong bytes) {
    this.inFlight = inFlight;
    this.bytes = bytes;
  }

  PartitionState get(TopicPartition tp) {
    return states.get(tp);
  }

  boolean contains(TopicPartition tp) {
    return states.containsKey(tp);
  }

  boolean isEmpty() {
    return states.isEmpty();
  }

  Collection<PartitionState> states() {
    return states.values();
  }

  Set<TopicPartition> partitions() {
    return states.keySet();
  }

  /** The assigned partitions as an immutable set, rebuilt only after a change. */
  Set<TopicPartition> view() {
    Set<TopicPartition> v = view;
    if (v == null) {
      v = Set.copyOf(states.keySet());
      view = v;
    }
    return v;
  }

  /** Adds (or replaces) the state of {@code tp}, restored from its committed offset {@code om}. */
  PartitionState put(TopicPartition tp, OffsetAndMetadata om) {
    PartitionState s = new PartitionState(tp, trackerFor(tp, om), om);
    states.put(tp, s);
    view = null;
    return s;
  }

  PartitionState remove(TopicPartition tp) {
    PartitionState s = states.remove(tp);
    if (s != null) {
      view = null;
    }
    return s;
  }

  void clear() {
    states.clear();
    view = null;
  }

  /** Records dispatched and not finished, over {@code ss}. */
  static long outstanding(Collection<PartitionState> ss) {
    long n = 0;
    for (PartitionState s : ss) {
      n += s.outstanding;
    }
    return n;
  }

  /** Nothing in flight and nothing waiting in a backlog. */
  boolean idle() {
    for (PartitionState s : states.values()) {
      if (s.outstanding > 0 || s.backlog != null) {
        return false;
      }
    }
    return true;
  }

  /** Ends {@code s}'s epoch: its late completions are ignored and its records leave the counts. */
  void detach(PartitionState s) {
    s.revoked = true;
    s.detached = true;
    inFlight.addAndGet(-s.outstanding);
    bytes.addAndGet(-s.outstandingBytes);
    s.outstanding = 0;
    s.outstandingBytes = 0;
  }

  private OffsetTracker trackerFor(TopicPartition tp, OffsetAndMetadata om) {
    if (om == null) {
      return new OffsetTracker(-1, null);
    }
    OffsetMetadataCodec.Decoded decoded = OffsetMetadataCodec.decode(om.metadata());
    switch (decoded) {
      case OffsetMetadataCodec.Ours ours -> {
        if (ours.base() == om.offset()) {
          return new OffsetTracker(om.offset(), ours.finishedRanges());
        }
        LOG.warn("{}: commit metadata describes offset {} but the committed offset is {}; ignoring it",
            tp, ours.base(), om.offset());
      }
      case OffsetMetadataCodec.Foreign foreign -> {
        if (!foreignMetadataLogged) {
          foreignMetadataLogged = true;
          LOG.warn("{}: commit metadata was not written by Sagaflow ({}); ignoring it "
              + "(logged once per consumer)", tp, foreign.reason());
        }
      }
      case OffsetMetadataCodec.Empty empty -> { }
    }
    return new OffsetTracker(om.offset(), null);
  }
}
