package io.sagaflow.recovery;

import io.sagaflow.recovery.internal.HeaderCodec;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;

/**
 * The recovery headers of a dead letter, decoded. Fields whose header is absent are {@code null}
 * (or {@code -1} for partition and offset, {@code 0} for attempts), so dead letters written by
 * Spring Kafka decode too.
 *
 * <pre>{@code
 * DeadLetterHeaders h = DeadLetterHeaders.read(record.headers());
 * System.out.println(h.originalTopic() + "/" + h.originalPartition() + "@" + h.originalOffset()
 *     + " failed with " + h.exceptionClass() + ": " + h.exceptionMessage());
 * }</pre>
 *
 * @param keyFailure whether the exception headers are the {@code kafka_dlt-key-exception-*}
 *     variants (the key could not be deserialized)
 */
public record DeadLetterHeaders(
    String originalTopic,
    int originalPartition,
    long originalOffset,
    Long originalTimestamp,
    String originalTimestampType,
    String consumerGroup,
    String exceptionClass,
    String exceptionCauseClass,
    String exceptionMessage,
    String stackTrace,
    boolean keyFailure,
    int attempts,
    Instant failedAt) {

  /** Decodes the last value of each recovery header in {@code headers}. */
  public static DeadLetterHeaders read(Headers headers) {
    boolean key = headers.lastHeader(RecoveryHeaders.DLT_EXCEPTION_FQCN) == null
        && headers.lastHeader(RecoveryHeaders.DLT_KEY_EXCEPTION_FQCN) != null;
    Integer partition = HeaderCodec.lastInt(headers, RecoveryHeaders.DLT_ORIGINAL_PARTITION);
    Long offset = HeaderCodec.lastLong(headers, RecoveryHeaders.DLT_ORIGINAL_OFFSET);
    Integer attempts = HeaderCodec.lastInt(headers, RecoveryHeaders.ATTEMPTS);
    Long failedAt = HeaderCodec.lastLong(headers, RecoveryHeaders.FAILED_AT);
    return new DeadLetterHeaders(
        HeaderCodec.lastString(headers, RecoveryHeaders.DLT_ORIGINAL_TOPIC),
        partition == null ? -1 : partition,
        offset == null ? -1L : offset,
        HeaderCodec.lastLong(headers, RecoveryHeaders.DLT_ORIGINAL_TIMESTAMP),
        HeaderCodec.lastString(headers, RecoveryHeaders.DLT_ORIGINAL_TIMESTAMP_TYPE),
        HeaderCodec.lastString(headers, RecoveryHeaders.DLT_ORIGINAL_CONSUMER_GROUP),
        HeaderCodec.lastString(headers,
            key ? RecoveryHeaders.DLT_KEY_EXCEPTION_FQCN : RecoveryHeaders.DLT_EXCEPTION_FQCN),
        HeaderCodec.lastString(headers, RecoveryHeaders.DLT_EXCEPTION_CAUSE_FQCN),
        HeaderCodec.lastString(headers,
            key ? RecoveryHeaders.DLT_KEY_EXCEPTION_MESSAGE : RecoveryHeaders.DLT_EXCEPTION_MESSAGE),
        HeaderCodec.lastString(headers,
            key ? RecoveryHeaders.DLT_KEY_EXCEPTION_STACKTRACE : RecoveryHeaders.DLT_EXCEPTION_STACKTRACE),
        key,
        attempts == null ? 0 : attempts,
        failedAt == null ? null : Instant.ofEpochMilli(failedAt));
  }
}
