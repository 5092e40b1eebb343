package io.sagaflow.saga.internal.journal;

/**
 * A replayed saga performed another effect than its journal holds under the same effect id: its
 * code changed (or depends on something other than effect results) since the run was journaled.
 * The saga fails (and goes to the dead-letter topic); other sagas are unaffected. The message
 * names the saga, the transaction id, the effect id, what the journal holds and what the code did.
 */
public final class NonDeterminismException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final String effectId;

  /** A divergence at {@code effectId}. */
  public NonDeterminismException(String sagaName, String transactionId, String runKey, String effectId,
      String journaled, String performed) {
    super("non-determinism in saga " + sagaName + " (transaction " + transactionId + ", run " + runKey
        + ") at effect " + effectId + ": the journal holds " + journaled + " but the code performed " + performed
        + "; saga code must perform the same effects in the same order when it is replayed: deploy code that"
        + " changes them only once no run of the old code is in flight, or branch on a version marker"
        + " (SagaContext.version) so that runs journaled by the old code keep its effects");
    this.effectId = effectId;
  }

  /** The id of the effect where the code diverged. */
  public String effectId() {
    return effectId;
  }
}
