package io.sagaflow.saga;

import java.util.UUID;

/**
 * Generates a random UUID. Use it instead of {@code UUID.randomUUID()} so that the id is an effect
 * result: stubbable in tests and, in durable mode, replayed from the journal (for example an
 * idempotency key that must stay the same across re-runs).
 */
public record Uuid() implements Effect<UUID> {

  @Override
  public String describe() {
    return "uuid()";
  }
}
