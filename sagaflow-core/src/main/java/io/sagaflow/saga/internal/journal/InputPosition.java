package io.sagaflow.saga.internal.journal;

import java.util.Objects;

/**
 * Where a saga run's input record sits.
 *
 * @param topic the input topic
 * @param partition its partition
 * @param offset its offset
 */
public record InputPosition(String topic, int partition, long offset) {
  /** Validates. */
  public InputPosition {
    Objects.requireNonNull(topic, "topic");
  }

  /** The run key of the run this record started: {@code "<topic>-<partition>@<offset>"}, unique per run. */
  public String runKey() {
    return topic + "-" + partition + "@" + offset;
  }
}
