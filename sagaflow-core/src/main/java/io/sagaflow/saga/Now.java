package io.sagaflow.saga;

import java.time.Instant;

/**
 * Reads the current time. Use it instead of {@code Instant.now()} so that the time a saga saw is an
 * effect result: stubbable in tests (virtual time in {@code SagaTester}) and, in durable mode,
 * replayed from the journal so re-runs take the same decisions.
 */
public record Now() implements Effect<Instant> {

  @Override
  public String describe() {
    return "now()";
  }
}
