package io.sagaflow.processor;

/** When the processor commits offsets. A record counts as finished as described per constant. */
public enum CommitStrategy {
  /** Commit asynchronously every {@link ProcessorOptions#commitInterval()} (default). A record is finished when its handler returns. */
  PERIODIC_ASYNC,
  /** Commit synchronously after each poll batch. A record is finished when its handler returns. */
  SYNC_PER_BATCH,
  /**
   * A record is finished only when {@link ProcessorRecord#ack()} is called (from any thread, any
   * time); commits run periodically like {@link #PERIODIC_ASYNC}. Unacked records count as in
   * flight, so a handler that never acks eventually pauses consumption.
   */
  MANUAL,
  /**
   * At-most-once: the offsets of a poll's records are committed (synchronously) <em>before</em> any
   * of them is handed to the handler, and a record whose handler fails is never retried: the
   * failure is logged at WARN and counted ({@link ProcessorMetrics.Recorder#failed()}), and the
   * record is dropped. The {@link ProcessorOptions#failureHandler() failure handler} is not
   * consulted. That is the point of the mode: a crash, a rebalance or a failure loses the records
   * concerned instead of processing them late or twice, for data such as telemetry where a late
   * record is worthless. If the commit fails, the records are not handled; they are fetched and
   * committed again. Cannot be combined with {@link ProcessorOptions#withExactlyOnce}.
   */
  AT_MOST_ONCE,
  /** Never commit. Offsets are still tracked (visible in {@link ProcessorStatus}). */
  NONE
}
