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
  /** Never commit. Offsets are still tracked (visible in {@link ProcessorStatus}). */
  NONE
}
