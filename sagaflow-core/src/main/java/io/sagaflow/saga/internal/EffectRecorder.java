package io.sagaflow.saga.internal;

import io.sagaflow.saga.Effect;
import io.sagaflow.saga.SagaContext;

/**
 * The one place every effect's result passes through, after the middleware chain, keyed by the
 * effect's deterministic id. {@link #PASS_THROUGH} only executes; {@link JournalRecorder}, the
 * durable journal, records results and, on replay, returns recorded results without executing
 * (and detects non-determinism when a replayed effect id names a different effect).
 */
public interface EffectRecorder {

  /** Executes effects without recording. */
  EffectRecorder PASS_THROUGH = (id, effect, ctx, execution) -> execution.execute();

  /**
   * Produces the result of {@code effect}.
   *
   * @param effectId the deterministic id
   * @param effect the effect as it left the middleware chain
   * @param ctx the context performing it
   * @param execution performs the effect for real
   */
  Object record(String effectId, Effect<?> effect, SagaContext ctx, Execution execution) throws Exception;

  /**
   * The key of the run {@code ctx} belongs to, which {@link SagaContext#idempotencyKey()} starts
   * with: unique per run for a journal (the input record's position), the transaction id here.
   */
  default String runKey(SagaContext ctx) {
    return ctx.transactionId();
  }

  /**
   * The version {@code ctx}'s run follows at the marker {@code changeId} ({@link SagaContext#version},
   * whose arguments are already validated): {@code maxSupported} without a journal.
   */
  default int version(String changeId, int minSupported, int maxSupported, SagaContext ctx) {
    return maxSupported;
  }

  /** Performs an effect. */
  @FunctionalInterface
  interface Execution {
    /** Performs it and returns its result. */
    Object execute() throws Exception;
  }
}
