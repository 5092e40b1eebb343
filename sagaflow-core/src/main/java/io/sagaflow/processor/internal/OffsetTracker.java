package io.sagaflow.processor.internal;

import java.util.BitSet;

/**
 * Which offsets of one partition are finished, so the commit never passes an unfinished record.
 *
 * <p>Design: a bit set anchored at {@code origin} marks unfinished offsets (fetched and dispatched,
 * or restored from commit metadata as not yet done). Offsets below {@code nextExpected} whose bit is
 * clear are finished, including offsets that never held a record (transaction markers, compacted
 * holes). The commit offset is the first set bit, or {@code nextExpected} when none is set; the
 * bits between it and {@code nextExpected} are the out-of-order completions that go into the
 * commit metadata ({@link OffsetMetadataCodec}). The set is re-anchored every few thousand
 * completions so memory follows the in-flight window, not the partition's history.
 *
 * <p>Owned by one poll thread; not thread-safe. Offsets must be registered in increasing order.
 */
final class OffsetTracker {
  /** Outcome of {@link #classify}. */
  public static final int SKIP = 0;
  /** A new record: process it, then {@link #register} it. */
  public static final int NEW = 1;
  /** A record the restored metadata lists as unfinished: process it; it is already registered. */
  public static final int RESTORED = 2;

  private long origin = -1;
  private long nextExpected = -1;
  private long restoredEnd = -1;
  private BitSet unfinished = new BitSet();
  private int sinceCompact;

  /**
   * @param committed the committed offset read at assignment, or -1 when none
   * @param restored finished ranges decoded from that commit's metadata (pairs [start,end)), or null
   */
  public OffsetTracker(long committed, long[] restored) {
    if (committed >= 0) {
      origin = committed;
      nextExpected = committed;
      if (restored != null && restored.length >= 2) {
        long end = restored[restored.length - 1];
        // Everything in [committed, end) not listed as finished is still to do.
        unfinished.set(0, (int) (end - committed));
        for (int i = 0; i < restored.length; i += 2) {
          unfinished.clear((int) (restored[i] - committed), (int) (restored[i + 1] - committed));
        }
        restoredEnd = end;
        nextExpected = end;
      }
    }
  }

  /** Decides what to do with a fetched record; does not change state. */
  public int classify(long offset) {
    if (origin < 0) {
      return NEW;
    }
    if (offset < origin) {
      return SKIP;
    }
    if (offset < restoredEnd) {
      return unfinished.get((int) (offset - origin)) ? RESTORED : SKIP;
    }
    return offset < nextExpected ? SKIP : NEW;
  }

  /** Marks a new record as in flight (unfinished). */
  public void register(long offset) {
    if (origin < 0) {
      origin = offset;
      nextExpected = offset;
    }
    unfinished.set((int) (offset - origin));
    nextExpected = offset + 1;
  }

  /** Marks a record finished. Unknown or repeated offsets are ignored. */
  public void finished(long offset) {
    if (origin < 0 || offset < origin || offset >= nextExpected) {
      return;
    }
    unfinished.clear((int) (offset - origin));
    if (++sinceCompact >= 4096) {
      compact();
    }
  }

  /** The offset to commit (first unfinished, or one past the last known), or -1 if unknown. */
  public long commitOffset() {
    if (origin < 0) {
      return -1;
    }
    int first = unfinished.nextSetBit(0);
    return first < 0 ? nextExpected : origin + first;
  }

  /** Number of unfinished offsets (registered or restored). */
  public int unfinishedCount() {
    return unfinished.cardinality();
  }

  /** Encodes the finished offsets above {@link #commitOffset()} for the commit metadata. */
  public OffsetMetadataCodec.Encoded encode(int maxChars) {
    long base = commitOffset();
    if (base < 0) {
      return new OffsetMetadataCodec.Encoded("", false);
    }
    int limit = (int) (nextExpected - origin);
    int at = (int) (base - origin);
    // Each run pair costs at least 2 bytes: no point collecting more than can fit, plus one to flag overflow.
    int maxRuns = Math.max(2, (maxChars / 4 * 3) + 2);
    long[] runs = new long[16];
    int n = 0;
    while (at < limit && n < maxRuns) {
      int clear = unfinished.nextClearBit(at);
      int unfinishedRun = Math.min(clear, limit) - at;
      at += unfinishedRun;
      int set = at < limit ? unfinished.nextSetBit(at) : -1;
      int finishedRun = (set < 0 || set > limit ? limit : set) - at;
      at += finishedRun;
      if (n + 2 > runs.length) {
        runs = java.util.Arrays.copyOf(runs, runs.length * 2);
      }
      runs[n++] = unfinishedRun;
      runs[n++] = finishedRun;
    }
    OffsetMetadataCodec.Encoded e = OffsetMetadataCodec.encode(base, runs, n, maxChars);
    if (!e.overflow() && at < limit && hasFinishedAfter(at, limit)) {
      return new OffsetMetadataCodec.Encoded(e.metadata(), true);
    }
    return e;
  }

  private boolean hasFinishedAfter(int at, int limit) {
    int clear = unfinished.nextClearBit(at);
    return clear < limit;
  }

  private void compact() {
    sinceCompact = 0;
    int first = unfinished.nextSetBit(0);
    long newOrigin = first < 0 ? nextExpected : origin + first;
    if (restoredEnd >= 0 && newOrigin >= restoredEnd) {
      restoredEnd = -1;
    }
    int shift = (int) (newOrigin - origin);
    if (shift < 1024) {
      return;
    }
    unfinished = first < 0 ? new BitSet() : unfinished.get(shift, Math.max(shift, unfinished.length()));
    origin = newOrigin;
  }
}
