package io.sagaflow.recovery;

/** Whether the recovery path can currently write to its retry and dead-letter topics. */
public enum RecoveryHealth {
  /** The last publish succeeded (or none was needed yet). */
  UP,
  /** The last publish failed; failing records are held until a later publish succeeds. */
  DOWN
}
