/**
 * The durable-saga journal: the journaled state of one saga run
 * ({@link io.sagaflow.saga.internal.journal.SagaJournal}, its
 * {@link io.sagaflow.saga.internal.journal.JournalEntry entries}), its versioned wire format
 * ({@link io.sagaflow.saga.internal.journal.JournalCodec}), its bounds
 * ({@link io.sagaflow.saga.internal.journal.JournalLimits}), the sink a recorder writes to
 * ({@link io.sagaflow.saga.internal.journal.JournalSink}) and the errors of replay. Pure logic with
 * no broker; {@code io.sagaflow.saga.internal.JournalRecorder} replays it. Not API: exported only
 * to sibling Sagaflow modules.
 */
package io.sagaflow.saga.internal.journal;
