package io.sagaflow.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * The replies a rebuilt run's journaled takes returned, so that a reply catch-up, which reads the
 * reply topics again from the journaled positions, does not count them again: each journaled take
 * excuses one equal reply (same topic, transaction id, payload and headers).
 *
 * <p>Not thread-safe: its owner guards it.
 */
final class TakenReplies {
  private final List<Action<JsonNode>> replies = new ArrayList<>();

  /** Adds {@code entry}'s reply when it is a returned take. */
  @SuppressWarnings("unchecked")
  void add(JournalEntry entry, JournalCodec codec) {
    if (entry.kind() == EffectKind.TAKE && entry.status() == JournalEntry.Status.RETURNED) {
      try {
        replies.add((Action<JsonNode>) codec.decodeResult(entry));
      } catch (RuntimeException ignored) {
        // A take result that cannot be rebuilt fails the replay itself; nothing to excuse.
      }
    }
  }

  /** Whether a journaled take returned {@code reply}; if so it is crossed off. */
  boolean crossOff(Action<?> reply) {
    for (Iterator<Action<JsonNode>> it = replies.iterator(); it.hasNext();) {
      if (same(it.next(), reply)) {
        it.remove();
        return true;
      }
    }
    return false;
  }

  private static boolean same(Action<JsonNode> a, Action<?> b) {
    if (!a.topic().equals(b.topic()) || !a.transactionId().equals(b.transactionId())
        || !Objects.equals(a.payload(), b.payload()) || !a.headers().keySet().equals(b.headers().keySet())) {
      return false;
    }
    return a.headers().entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), b.headers().get(e.getKey())));
  }
}
