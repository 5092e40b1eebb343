package io.sagaflow.recovery;

/**
 * Counts of a replay (final, or so far when passed to a {@link ReplayListener}).
 *
 * @param scanned dead letters read
 * @param matched letters the filter selected
 * @param replayed letters copied to their target (in a dry run: that would be copied)
 * @param skippedAlreadyReplayed matched letters an earlier replay to the same target already copied
 * @param failed matched letters that could not be copied (no original topic, or the write failed)
 * @param dryRun whether nothing was written
 */
public record ReplaySummary(long scanned, long matched, long replayed, long skippedAlreadyReplayed, long failed,
    boolean dryRun) {}
