package io.sagaflow.saga.internal.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link JournalSink} in memory, for tests: the latest state of every unfinished run. */
public final class InMemoryJournalSink implements JournalSink {
  private final Map<String, SagaJournal> journals = new ConcurrentHashMap<>();
  private final List<String> ended = new ArrayList<>();

  @Override
  public void start(SagaJournal journal) {
    journals.put(journal.runKey(), journal);
  }

  @Override
  public void append(String runKey, JournalEntry entry) {
    SagaJournal j = journals.computeIfPresent(runKey, (k, v) -> v.withEntry(entry));
    if (j == null) {
      throw new IllegalStateException("no run " + runKey + " was started in this sink; call start(journal) first");
    }
  }

  @Override
  public synchronized void end(String runKey) {
    journals.remove(runKey);
    ended.add(runKey);
  }

  /** The journal of the unfinished run {@code runKey}, if any. */
  public Optional<SagaJournal> journal(String runKey) {
    return Optional.ofNullable(journals.get(runKey));
  }

  /** The keys of the runs that ended, in order. */
  public synchronized List<String> ended() {
    return List.copyOf(ended);
  }
}
