package io.sagaflow.recovery;

/**
 * Names of the headers Sagaflow writes on retried and dead-lettered records.
 *
 * <p>The {@code kafka_dlt-*} names and encodings are those of Spring Kafka's
 * {@code DeadLetterPublishingRecoverer}, so tools that read Spring's dead letters read ours:
 * strings are UTF-8, partitions 4-byte big-endian ints, offsets and timestamps 8-byte big-endian
 * longs, the timestamp type is {@code TimestampType.toString()} ({@code CreateTime} or
 * {@code LogAppendTime}). Spring has no key variant of the cause header; neither do we.
 */
public final class RecoveryHeaders {
  private RecoveryHeaders() {}

  public static final String DLT_ORIGINAL_TOPIC = "kafka_dlt-original-topic";
  public static final String DLT_ORIGINAL_PARTITION = "kafka_dlt-original-partition";
  public static final String DLT_ORIGINAL_OFFSET = "kafka_dlt-original-offset";
  public static final String DLT_ORIGINAL_TIMESTAMP = "kafka_dlt-original-timestamp";
  public static final String DLT_ORIGINAL_TIMESTAMP_TYPE = "kafka_dlt-original-timestamp-type";
  public static final String DLT_ORIGINAL_CONSUMER_GROUP = "kafka_dlt-original-consumer-group";
  public static final String DLT_EXCEPTION_FQCN = "kafka_dlt-exception-fqcn";
  public static final String DLT_EXCEPTION_CAUSE_FQCN = "kafka_dlt-exception-cause-fqcn";
  public static final String DLT_EXCEPTION_MESSAGE = "kafka_dlt-exception-message";
  /**
   * The failure's stack trace as {@code printStackTrace} lays it out (causes, suppressed), without
   * the processor's own frames beneath the handler (shown as {@code "\t... n more"}), at most 40
   * frames per exception and {@code RecoveryOptions.maxStackTraceBytes} bytes in all.
   */
  public static final String DLT_EXCEPTION_STACKTRACE = "kafka_dlt-exception-stacktrace";
  public static final String DLT_KEY_EXCEPTION_FQCN = "kafka_dlt-key-exception-fqcn";
  public static final String DLT_KEY_EXCEPTION_MESSAGE = "kafka_dlt-key-exception-message";
  /** Like {@link #DLT_EXCEPTION_STACKTRACE}, for a key that could not be deserialized. */
  public static final String DLT_KEY_EXCEPTION_STACKTRACE = "kafka_dlt-key-exception-stacktrace";

  /** Total failed attempts across all deliveries (4-byte int). */
  public static final String ATTEMPTS = "sagaflow-attempts";
  /** When the record was dead-lettered, epoch millis (8-byte long). */
  public static final String FAILED_AT = "sagaflow-failed-at";
  /** Retry tier (1-based) of a record on a retry topic (4-byte int). */
  public static final String RETRY_TIER = "sagaflow-retry-tier";
  /** When a retry-topic record is due, epoch millis (8-byte long). */
  public static final String RETRY_DUE = "sagaflow-retry-due";
  /** Topic of the first delivery of a retried record (UTF-8); kept across tiers. */
  public static final String ORIGIN_TOPIC = "sagaflow-origin-topic";
  /** Partition of the first delivery (4-byte int). */
  public static final String ORIGIN_PARTITION = "sagaflow-origin-partition";
  /** Offset of the first delivery (8-byte long). */
  public static final String ORIGIN_OFFSET = "sagaflow-origin-offset";
  /** Timestamp of the first delivery (8-byte long). */
  public static final String ORIGIN_TIMESTAMP = "sagaflow-origin-timestamp";
  /** Timestamp type of the first delivery (UTF-8, {@code TimestampType.toString()}). */
  public static final String ORIGIN_TIMESTAMP_TYPE = "sagaflow-origin-timestamp-type";
  /** On a replayed record: {@code <dlt topic>/<partition>/<offset>} of the dead letter it copies (UTF-8). */
  public static final String REPLAYED_FROM = "sagaflow-replayed-from";
}
