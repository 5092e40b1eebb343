package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorMetrics;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;

/**
 * What the processor measures, as its internals call it. The no-op instance is used unless the
 * options name a {@link ProcessorMetrics} back end; then every call goes to its recorder.
 */
interface Metrics {
  Metrics NOOP = new Metrics() {};

  static Metrics create(ProcessorMetrics backEnd, String groupId, LongSupplier inFlight, LongSupplier paused) {
    if (backEnd == ProcessorMetrics.none()) {
      return NOOP;
    }
    ProcessorMetrics.Recorder recorder = backEnd.open(new ProcessorMetrics.Gauges() {
      @Override
      public String groupId() {
        return groupId;
      }

      @Override
      public long inFlight() {
        return inFlight.getAsLong();
      }

      @Override
      public long pausedPartitions() {
        return paused.getAsLong();
      }
    });
    return new Recording(recorder);
  }

  /** Whether handler latency should be measured at all (avoids nanoTime calls when off). */
  default boolean enabled() {
    return false;
  }

  default void processed(long startNanos, int count) {}

  default void failed() {}

  default void commitLatency(long nanos) {}

  default void lag(TopicPartition tp, long lag) {}

  default void removePartition(TopicPartition tp) {}

  default void stalledRecords(long count) {}

  default void close() {}

  /**
   * Forwards to a back end's recorder. A recorder that throws is logged once and otherwise ignored:
   * metrics never fail a record or stop the processor.
   */
  final class Recording implements Metrics {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Recording.class);
    private final ProcessorMetrics.Recorder recorder;
    private volatile boolean warned;

    Recording(ProcessorMetrics.Recorder recorder) {
      this.recorder = recorder;
    }

    @Override
    public boolean enabled() {
      return true;
    }

    // processed and failed run once per record: no capturing lambda there, a plain try instead.
    @Override
    public void processed(long startNanos, int count) {
      try {
        recorder.processed(System.nanoTime() - startNanos, count);
      } catch (RuntimeException e) {
        threw(e);
      }
    }

    @Override
    public void failed() {
      try {
        recorder.failed();
      } catch (RuntimeException e) {
        threw(e);
      }
    }

    @Override
    public void commitLatency(long nanos) {
      guard(() -> recorder.committed(nanos));
    }

    @Override
    public void lag(TopicPartition tp, long lag) {
      guard(() -> recorder.lag(tp, lag));
    }

    @Override
    public void removePartition(TopicPartition tp) {
      guard(() -> recorder.partitionRemoved(tp));
    }

    @Override
    public void stalledRecords(long count) {
      guard(() -> recorder.stalledRecords(count));
    }

    @Override
    public void close() {
      guard(recorder::close);
    }

    private void guard(Runnable call) {
      try {
        call.run();
      } catch (RuntimeException e) {
        threw(e);
      }
    }

    private void threw(RuntimeException e) {
      if (!warned) {
        warned = true;
        LOG.warn("Processor metrics back end {} threw; its later failures are not logged", recorder, e);
      }
    }
  }
}
