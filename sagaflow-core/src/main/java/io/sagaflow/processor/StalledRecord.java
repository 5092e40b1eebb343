package io.sagaflow.processor;

import java.time.Instant;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * A record whose handler keeps failing and that the failure handler keeps retrying in place: it
 * holds back its key (or partition) and its partition's committed offset. Listed in {@link
 * ProcessorStatus#stalledRecords()} once it failed {@value #MIN_ATTEMPTS} times or has been failing
 * for {@link #MIN_AGE_SECONDS} seconds; see {@link ProcessorOptions#withStallAlarmAfter}.
 *
 * @param partition the record's partition
 * @param offset the record's offset
 * @param key the record's key as text (the deserialized key, else its bytes as UTF-8), or
 *     {@code null} for a null key
 * @param attempts how many times it has failed so far
 * @param firstFailure when it failed the first time
 * @param exceptionClass the class of the last failure
 * @param exceptionMessage the message of the last failure, or {@code null}
 */
public record StalledRecord(
    TopicPartition partition,
    long offset,
    String key,
    int attempts,
    Instant firstFailure,
    String exceptionClass,
    String exceptionMessage) {
  /** A failing record is listed after this many failures... */
  public static final int MIN_ATTEMPTS = 3;

  /** ...or once it has been failing this long. */
  public static final long MIN_AGE_SECONDS = 10;

  public StalledRecord {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(firstFailure, "firstFailure");
    Objects.requireNonNull(exceptionClass, "exceptionClass");
  }
}
