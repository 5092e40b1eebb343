package io.sagaflow.saga.internal.journal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One run's journal, encoded piece by piece: every write of a run repeats its whole history (the
 * journal topic keeps one value per run), but the history does not change, so each piece is
 * encoded once and a write only copies bytes.
 *
 * <p>Design. The head (what started the run: {@link JournalCodec#encodeHead}) is the same in every
 * state of one run, so it is encoded at the first write. An entry is kept with its bytes, keyed
 * by effect id; a journal holding another entry object under that id (a pending effect that got
 * its outcome) has it encoded again. The recorder, which encodes each entry once anyway to count
 * a run's bytes, hands its bytes over with {@link #seed}. The result is byte for byte
 * {@link JournalCodec#encode}'s. The reply positions, which change only when a run subscribes to
 * another reply topic, are encoded again only when they changed. Thread-safe (a run's writes are rare and short; the lock is
 * uncontended).
 */
public final class JournalEncoding {
  private final JournalCodec codec;
  private final Map<String, Encoded> entries = new HashMap<>();
  private byte[] head;
  private List<ReplyPosition> positions = List.of();
  private byte[] positionBytes;

  private record Encoded(JournalEntry entry, byte[] bytes) {}

  /** An encoding of one run's journals, empty. */
  public JournalEncoding(JournalCodec codec) {
    this.codec = Objects.requireNonNull(codec, "codec");
  }

  /** {@code entry}'s bytes are {@code bytes} (as {@link JournalCodec#encodeEntry}); not checked. */
  public synchronized void seed(JournalEntry entry, byte[] bytes) {
    entries.put(entry.id(), new Encoded(entry, bytes));
  }

  /** The record value of {@code journal}, a state of this encoding's run. */
  public synchronized byte[] encode(SagaJournal journal) {
    if (head == null) {
      head = codec.encodeHead(journal);
    }
    List<byte[]> parts = new ArrayList<>(journal.entries().size());
    for (JournalEntry e : journal.entries()) {
      Encoded known = entries.get(e.id());
      if (known == null || known.entry() != e) {
        known = new Encoded(e, codec.encodeEntry(e));
        entries.put(e.id(), known);
      }
      parts.add(known.bytes());
    }
    if (!journal.replyPositions().equals(positions)) {
      positions = journal.replyPositions();
      positionBytes = codec.encodePositions(positions);
    }
    return codec.assemble(head, parts, positionBytes);
  }
}
