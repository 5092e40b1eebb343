package io.sagaflow.saga.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The journaled state of one saga run: what started it and every effect journaled so far, in the
 * order first journaled. Immutable; {@link #withEntry} and {@link #withReplyPosition} return
 * updated copies.
 *
 * @param version the format version it was written with ({@link JournalCodec#FORMAT_VERSION})
 * @param runKey the run's key, unique per run ({@link InputPosition#runKey()} for a run started
 *     by a Kafka record)
 * @param sagaName the saga's name, for errors and listings
 * @param transactionId the run's transaction id
 * @param input where the input record sits, or null when the run did not start from Kafka
 * @param action the input action, its payload as JSON
 * @param startedAt when the run started
 * @param entries the journaled effects, one per effect id
 * @param replyPositions where reply topics stood when channels were opened
 */
public record SagaJournal(int version, String runKey, String sagaName, String transactionId, InputPosition input,
    Action<JsonNode> action, Instant startedAt, List<JournalEntry> entries, List<ReplyPosition> replyPositions) {

  /** Validates and copies. */
  public SagaJournal {
    Objects.requireNonNull(runKey, "runKey");
    Objects.requireNonNull(sagaName, "sagaName");
    Objects.requireNonNull(transactionId, "transactionId");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(startedAt, "startedAt");
    entries = List.copyOf(entries);
    replyPositions = List.copyOf(replyPositions);
  }

  /** The journal of a run that just started: no entries yet. */
  public static SagaJournal start(String runKey, String sagaName, InputPosition input, Action<JsonNode> action,
      Instant startedAt) {
    return new SagaJournal(JournalCodec.FORMAT_VERSION, runKey, sagaName, action.transactionId(), input, action,
        startedAt, List.of(), List.of());
  }

  /** The entry under {@code effectId}, or null. */
  public JournalEntry entry(String effectId) {
    for (JournalEntry e : entries) {
      if (e.id().equals(effectId)) {
        return e;
      }
    }
    return null;
  }

  /** This journal with {@code entry} added, or replacing the entry with its id in place. */
  public SagaJournal withEntry(JournalEntry entry) {
    List<JournalEntry> copy = new ArrayList<>(entries);
    boolean replaced = false;
    for (int i = 0; i < copy.size() && !replaced; i++) {
      if (copy.get(i).id().equals(entry.id())) {
        copy.set(i, entry);
        replaced = true;
      }
    }
    if (!replaced) {
      copy.add(entry);
    }
    return new SagaJournal(version, runKey, sagaName, transactionId, input, action, startedAt, copy, replyPositions);
  }

  /** This journal with {@code position} added. */
  public SagaJournal withReplyPosition(ReplyPosition position) {
    List<ReplyPosition> copy = new ArrayList<>(replyPositions);
    copy.add(position);
    return new SagaJournal(version, runKey, sagaName, transactionId, input, action, startedAt, entries, copy);
  }
}
