package io.sagaflow.recovery;

/**
 * Progress of {@link DeadLetters#replay}: called once per matched dead letter, after its outcome is
 * final (for {@link Outcome#REPLAYED}: after the copy is committed). An exception thrown here stops
 * the replay and is rethrown by {@code replay}; everything reported as replayed so far stays
 * replayed, and a later run with the same topic and target skips it.
 */
@FunctionalInterface
public interface ReplayListener {

  /** What happened to one matched dead letter. */
  enum Outcome { REPLAYED, WOULD_REPLAY, SKIPPED_ALREADY_REPLAYED, FAILED }

  void onRecord(DeadLetter letter, Outcome outcome, ReplaySummary soFar);
}
