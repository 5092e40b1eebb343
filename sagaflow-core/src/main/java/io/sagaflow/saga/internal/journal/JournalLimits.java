package io.sagaflow.saga.internal.journal;

/**
 * Bounds on one saga run's journal. The journal holds the whole state of a run in one record, so
 * each write costs in proportion to its history and replay time grows with it: a saga with a long
 * loop should end and start a new run (for example by putting an action that starts a successor)
 * instead of journaling without bound. {@link #DEFAULT}: 1,000 effects and 1 MiB (the broker's
 * default maximum message size is about 1 MiB).
 *
 * @param maxEntries the most effects one run may journal, positive
 * @param maxBytes the most bytes one run's encoded journal may take, positive
 */
public record JournalLimits(int maxEntries, int maxBytes) {
  /** 1,000 effects, 1 MiB. */
  public static final JournalLimits DEFAULT = new JournalLimits(1_000, 1 << 20);

  /** Validates. */
  public JournalLimits {
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("maxEntries (" + maxEntries + ") must be positive");
    }
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes (" + maxBytes + ") must be positive");
    }
  }
}
