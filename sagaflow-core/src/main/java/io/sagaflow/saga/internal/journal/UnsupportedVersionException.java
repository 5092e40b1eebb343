package io.sagaflow.saga.internal.journal;

/**
 * A durable run follows a version of a change ({@link io.sagaflow.saga.SagaContext#version}) that
 * the saga's code no longer supports: its journal was written by code whose branch has been
 * removed. Like a {@link NonDeterminismException}, it fails this run only (to the dead-letter
 * topic). The message names the saga, the transaction, the change, the run's version and the
 * supported range.
 */
public final class UnsupportedVersionException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final String changeId;
  private final int version;

  /** The run of {@code transactionId} follows {@code version} of {@code changeId}, outside [min, max]. */
  public UnsupportedVersionException(String sagaName, String transactionId, String runKey, String changeId,
      int version, int minSupported, int maxSupported, boolean journaled) {
    super("saga " + sagaName + " (transaction " + transactionId + ", run " + runKey + ") follows version "
        + version + (version == -1 ? " (DEFAULT_VERSION)" : "") + " of change " + changeId + ", "
        + (journaled ? "as its journal records" : "since its journal was written by code without this marker")
        + ", but the code supports versions " + minSupported + " to " + maxSupported + " of it; keep the branch"
        + " for version " + version + " (lower minSupported) until no run that follows it is in flight");
    this.changeId = changeId;
    this.version = version;
  }

  /** The change the run's version is not supported for. */
  public String changeId() {
    return changeId;
  }

  /** The version the run follows. */
  public int version() {
    return version;
  }
}
