package io.sagaflow.processor;

import org.apache.kafka.common.TopicPartition;

/**
 * Where a processor's measurements go. Pass one to {@link ProcessorOptions#withMetrics}; the
 * default, {@link #none()}, measures nothing and costs nothing on the record path.
 *
 * <p>{@link MicrometerProcessorMetrics} publishes to a Micrometer {@code MeterRegistry}. Micrometer
 * is an optional dependency: that class is the only one of the processor that refers to it, so a
 * processor without metrics runs with no Micrometer on the class path. Other back ends implement
 * this interface.
 *
 * <pre>{@code
 * ProcessorOptions<String, String> options = base.withMetrics(MicrometerProcessorMetrics.of(registry));
 * }</pre>
 */
public interface ProcessorMetrics {

  /** Metrics that measure nothing. */
  static ProcessorMetrics none() {
    return NoMetrics.INSTANCE;
  }

  /**
   * Starts recording one processor; called once when it starts, before any record runs.
   *
   * @param gauges values the back end may sample whenever it likes, from any thread
   * @return receives the processor's measurements until {@link Recorder#close()}
   */
  Recorder open(Gauges gauges);

  /** Values of a running processor that can be sampled at any time, from any thread. */
  interface Gauges {
    /** The processor's consumer group. */
    String groupId();

    /** Records dispatched and not yet finished. */
    long inFlight();

    /** Partitions paused by the processor (backpressure, not-before times) or by the user. */
    long pausedPartitions();
  }

  /** Receives one processor's measurements. Calls come from handler threads and the poll threads. */
  interface Recorder {
    /** {@code records} records ran their handler to the end; it took {@code handlerNanos}. */
    void processed(long handlerNanos, int records);

    /** A handler threw, or a record could not be deserialized. */
    void failed();

    /** A commit of offsets (or a transaction) took {@code nanos}. */
    void committed(long nanos);

    /** The lag of a partition, measured after a poll. */
    void lag(TopicPartition partition, long lag);

    /** The processor no longer owns this partition: forget its lag. */
    void partitionRemoved(TopicPartition partition);

    /**
     * The number of stalled records (see {@link StalledRecord}) changed to {@code count}; called
     * from handler threads when a record becomes stalled or stops being so. The default ignores it,
     * so that existing back ends keep compiling.
     */
    default void stalledRecords(long count) {}

    /** The processor closed: remove every meter. */
    void close();
  }
}

/** The default: nothing is measured, and the processor skips its clock reads for handler latency. */
enum NoMetrics implements ProcessorMetrics {
  INSTANCE;

  @Override
  public Recorder open(Gauges gauges) {
    throw new UnsupportedOperationException("no metrics");
  }

  @Override
  public String toString() {
    return "ProcessorMetrics.none()";
  }
}
