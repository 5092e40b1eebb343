package io.sagaflow.saga.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One journaled effect of a saga run, under its deterministic effect id.
 *
 * <p>An entry is {@link Status#PENDING} while its effect runs, when the start itself matters: a
 * delay (its absolute {@code deadline}), an {@code all} or a {@code race} (their structure, checked
 * on replay). It is then replaced by a {@link Status#RETURNED} or {@link Status#FAILED} entry under
 * the same id. Other effects are journaled once they have an outcome.
 *
 * @param id the effect id ({@code "3"}, {@code "4/race/timeout/1"}, ...)
 * @param kind the effect's kind
 * @param detail what identifies the effect within its kind, checked on replay: the topic of a put,
 *     the topics of a take or channel, the name of a call, the keys of an all or race; null for
 *     the others
 * @param status pending, returned or failed
 * @param resultType how to rebuild the result: a tag ({@code action}, {@code uuid},
 *     {@code instant}, {@code race}) or a Java class name; null for no result (null, or an effect
 *     without one)
 * @param result the result as JSON, null when {@code resultType} is
 * @param failure what the effect threw, only when failed
 * @param at when the effect started
 * @param durationMillis how long it ran (0 while pending)
 * @param deadline the absolute deadline of a delay, or null
 */
public record JournalEntry(String id, EffectKind kind, String detail, Status status, String resultType,
    JsonNode result, RecordedFailure failure, Instant at, long durationMillis, Instant deadline) {

  /** Where an effect stands. */
  public enum Status {
    /** Started, no outcome yet. */
    PENDING,
    /** Returned (its result, if any, is recorded). */
    RETURNED,
    /** Threw (the failure is recorded). */
    FAILED
  }

  /** Validates. */
  public JournalEntry {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(at, "at");
    if ((status == Status.FAILED) != (failure != null)) {
      throw new IllegalArgumentException("a journal entry has a failure exactly when its status is FAILED");
    }
    if ((resultType == null) != (result == null)) {
      throw new IllegalArgumentException("a journal entry's result and its type are both set or both absent");
    }
  }

  /** A started effect. */
  public static JournalEntry pending(String id, EffectKind kind, String detail, Instant at, Instant deadline) {
    return new JournalEntry(id, kind, detail, Status.PENDING, null, null, null, at, 0, deadline);
  }

  /** This entry's effect returned {@code result} (of type {@code resultType}; both null for none). */
  public JournalEntry returned(String resultType, JsonNode result, long durationMillis) {
    return new JournalEntry(id, kind, detail, Status.RETURNED, resultType, result, null, at, durationMillis, deadline);
  }

  /** This entry's effect threw. */
  public JournalEntry failed(RecordedFailure failure, long durationMillis) {
    return new JournalEntry(id, kind, detail, Status.FAILED, null, null, failure, at, durationMillis, deadline);
  }

  /** The effect as a replay compares it: {@code kind(detail)}. */
  public String describe() {
    return describe(kind, detail);
  }

  /** {@code kind(detail)}. */
  public static String describe(EffectKind kind, String detail) {
    return kind.wireName() + "(" + (detail == null ? "" : detail) + ")";
  }
}
