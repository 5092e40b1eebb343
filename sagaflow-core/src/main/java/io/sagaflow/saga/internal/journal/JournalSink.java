package io.sagaflow.saga.internal.journal;

/**
 * Where a {@code JournalRecorder} writes. The Kafka writer implements it by keeping each run's
 * state and writing it, whole, to the journal topic under the run key in its next transaction;
 * {@link InMemoryJournalSink} keeps it in memory for tests.
 *
 * <p>Calls for one run come from that run's threads (an {@code all} has several), so an
 * implementation must be thread-safe. A call returns once the write is queued: the writer
 * decides when it is durable (puts of the same run become visible in the same transaction).
 */
public interface JournalSink {

  /** A run started: {@code journal} has no entries yet. */
  void start(SagaJournal journal);

  /** {@code entry} is new, or replaces the entry with its id (a pending effect got its outcome). */
  void append(String runKey, JournalEntry entry);

  /**
   * As {@link #append(String, JournalEntry)}, with the entry already encoded (as
   * {@link JournalCodec#encodeEntry}), so that a sink writing bytes need not encode it again.
   */
  default void append(String runKey, JournalEntry entry, byte[] encoded) {
    append(runKey, entry);
  }

  /** The run ended (completed or failed): its journal can be dropped (a tombstone). */
  void end(String runKey);
}
