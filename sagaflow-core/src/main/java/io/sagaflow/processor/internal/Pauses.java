package io.sagaflow.processor.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions the consumer must have paused, and the calls that make it so. Poll thread only.
 *
 * <p>Two kinds of pause are kept apart. <em>Ours</em> are derived afresh every turn from the state
 * of each partition and of the processor: closing, full with the backlogs as large as the limits,
 * no publisher demand, the per-partition limit, the commit-metadata cap, a backlog waiting, a
 * not-before delay. <em>The user's</em> are a set changed only by {@code Processor.pause/resume}.
 * A partition is paused at the consumer while either wants it, so lifting one never lifts the
 * other. {@link PartitionState#paused} mirrors what the consumer has, so only changes are sent.
 */
final class Pauses {
  private final Consumer<byte[], byte[]> consumer;
  private final Assignment assignment;
  private final Set<TopicPartition> userPaused = new HashSet<>();
  private final int maxInFlight;
  private final long maxBytes;
  private final int perPartition;
  private boolean backpressured;

  Pauses(Consumer<byte[], byte[]> consumer, Assignment assignment, int maxInFlight, long maxBytes,
      int perPartition) {
    this.consumer = consumer;
    this.assignment = assignment;
    this.maxInFlight = maxInFlight;
    this.maxBytes = maxBytes;
    this.perPartition = perPartition;
  }

  /** Applies a user's pause or resume; takes effect at the next {@link #update}. */
  void user(Collection<TopicPartition> partitions, boolean pause) {
    if (pause) {
      userPaused.addAll(partitions);
    } else {
      userPaused.removeAll(partitions);
    }
  }

  boolean userPaused(TopicPartition tp) {
    return userPaused.contains(tp);
  }

  /** The user's paused partitions (assigned here or not), as an immutable copy. */
  Set<TopicPartition> userPausedCopy() {
    return Set.copyOf(userPaused);
  }

  /** The in-flight or byte limit was reached at the last {@link #update}. */
  boolean backpressured() {
    return backpressured;
  }

  /** Every assigned partition is paused (none to fetch from); false while closing or unassigned. */
  boolean allPaused(boolean closing) {
    if (assignment.isEmpty() || closing) {
      return false;
    }
    for (PartitionState s : assignment.states()) {
      if (!s.paused) {
        return false;
      }
    }
    return true;
  }

  /**
   * Recomputes every assigned partition's pause and pauses or resumes at the consumer what
   * changed.
   *
   * @param now the ticker's time; ends not-before delays that are over
   * @param inFlight records in flight in the processor
   * @param bytes bytes in flight in the processor
   * @param backlogRecords records waiting in this loop's backlogs
   * @param backlogBytes bytes waiting in this loop's backlogs
   * @param noDemand the publisher has no room: fetch nothing
   * @param closing the loop is closing: fetch nothing
   */
  void update(long now, long inFlight, long bytes, long backlogRecords, long backlogBytes,
      boolean noDemand, boolean closing) {
    // No hysteresis: records that do not fit wait in a backlog instead of being fetched again, so
    // resuming as soon as there is room costs nothing, and a few slow keys holding most of the
    // slots (skewed keys) cannot keep every partition paused.
    backpressured = inFlight >= maxInFlight || bytes >= maxBytes;
    // While full, partitions without a backlog keep fetching (into a backlog) so that each gets
    // its share of the room that frees up, until the backlogs are as large as the limits.
    boolean backlogFull = backlogRecords >= maxInFlight || backlogBytes >= maxBytes;
    boolean allOurs = closing || (backpressured && backlogFull) || noDemand;
    List<TopicPartition> toPause = null;
    List<TopicPartition> toResume = null;
    for (PartitionState s : assignment.states()) {
      if (s.notBeforeUntilNanos != 0 && now - s.notBeforeUntilNanos >= 0) {
        s.notBeforeUntilNanos = 0;
      }
      boolean want = allOurs || ours(s) || userPaused.contains(s.tp);
      if (want != s.paused) {
        if (want) {
          (toPause == null ? toPause = new ArrayList<>() : toPause).add(s.tp);
        } else {
          (toResume == null ? toResume = new ArrayList<>() : toResume).add(s.tp);
        }
        s.paused = want;
      }
    }
    if (toPause != null) {
      consumer.pause(toPause);
    }
    if (toResume != null) {
      consumer.resume(toResume);
    }
  }

  /** Our reasons that concern one partition alone. */
  private boolean ours(PartitionState s) {
    return s.outstanding >= perPartition
        || s.overCap
        || s.backlog != null
        || s.notBeforeUntilNanos != 0;
  }
}
