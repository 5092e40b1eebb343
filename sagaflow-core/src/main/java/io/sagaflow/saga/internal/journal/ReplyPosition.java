package io.sagaflow.saga.internal.journal;

import java.util.Objects;

/**
 * The end offset of one partition of a reply topic when a run opened a channel (or subscribed a
 * take) on it: a replay reads the topic again from here so that no reply is lost across a crash.
 *
 * @param effectId the id of the effect that subscribed
 * @param topic the reply topic
 * @param partition the partition
 * @param offset the partition's end offset at that moment
 */
public record ReplyPosition(String effectId, String topic, int partition, long offset) {
  /** Validates. */
  public ReplyPosition {
    Objects.requireNonNull(effectId, "effectId");
    Objects.requireNonNull(topic, "topic");
  }
}
