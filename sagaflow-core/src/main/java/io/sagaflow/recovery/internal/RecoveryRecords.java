package io.sagaflow.recovery.internal;

import static io.sagaflow.recovery.RecoveryHeaders.*;

import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the records written to retry and dead-letter topics: the failed record's key, value and
 * headers byte for byte, every header we write replacing earlier values of the same name (so a
 * record dead-lettered twice carries one set, like Spring's default), then our headers appended.
 */
final class RecoveryRecords {
  private RecoveryRecords() {}

  static ProducerRecord<byte[], byte[]> retry(ConsumerRecord<byte[], byte[]> failed, Origin origin,
      Throwable error, String topic, Integer partition, int tier, int attempts, Instant due, int maxStackTraceBytes) {
    Headers h = copy(failed.headers());
    HeaderCodec.replace(h, ORIGIN_TOPIC, HeaderCodec.utf8(origin.topic()));
    HeaderCodec.replace(h, ORIGIN_PARTITION, HeaderCodec.intBytes(origin.partition()));
    HeaderCodec.replace(h, ORIGIN_OFFSET, HeaderCodec.longBytes(origin.offset()));
    HeaderCodec.replace(h, ORIGIN_TIMESTAMP, HeaderCodec.longBytes(origin.timestamp()));
    HeaderCodec.replace(h, ORIGIN_TIMESTAMP_TYPE, HeaderCodec.utf8(origin.timestampType()));
    HeaderCodec.replace(h, ATTEMPTS, HeaderCodec.intBytes(attempts));
    HeaderCodec.replace(h, RETRY_TIER, HeaderCodec.intBytes(tier));
    HeaderCodec.replace(h, RETRY_DUE, HeaderCodec.longBytes(due.toEpochMilli()));
    exceptionHeaders(h, error, maxStackTraceBytes);
    return new ProducerRecord<>(topic, partition, null, failed.key(), failed.value(), h);
  }

  static ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> failed, Origin origin,
      Throwable error, String groupId, String topic, Integer partition, int attempts, Instant failedAt,
      int maxStackTraceBytes) {
    Headers h = copy(failed.headers());
    HeaderCodec.replace(h, DLT_ORIGINAL_TOPIC, HeaderCodec.utf8(origin.topic()));
    HeaderCodec.replace(h, DLT_ORIGINAL_PARTITION, HeaderCodec.intBytes(origin.partition()));
    HeaderCodec.replace(h, DLT_ORIGINAL_OFFSET, HeaderCodec.longBytes(origin.offset()));
    HeaderCodec.replace(h, DLT_ORIGINAL_TIMESTAMP, HeaderCodec.longBytes(origin.timestamp()));
    HeaderCodec.replace(h, DLT_ORIGINAL_TIMESTAMP_TYPE, HeaderCodec.utf8(origin.timestampType()));
    if (groupId != null) {
      HeaderCodec.replace(h, DLT_ORIGINAL_CONSUMER_GROUP, HeaderCodec.utf8(groupId));
    } else {
      h.remove(DLT_ORIGINAL_CONSUMER_GROUP);
    }
    exceptionHeaders(h, error, maxStackTraceBytes);
    HeaderCodec.replace(h, ATTEMPTS, HeaderCodec.intBytes(attempts));
    HeaderCodec.replace(h, FAILED_AT, HeaderCodec.longBytes(failedAt.toEpochMilli()));
    return new ProducerRecord<>(topic, partition, null, failed.key(), failed.value(), h);
  }

  /** Whether {@code error} says the key (not the value) could not be deserialized. */
  static boolean isKeyFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RecordDeserializationException rde) {
        return rde.origin() == RecordDeserializationException.DeserializationExceptionOrigin.KEY;
      }
    }
    return false;
  }

  private static void exceptionHeaders(Headers h, Throwable error, int maxStackTraceBytes) {
    // Earlier exception headers of either variant describe an older failure: drop them all.
    for (String name : new String[] {DLT_EXCEPTION_FQCN, DLT_EXCEPTION_CAUSE_FQCN, DLT_EXCEPTION_MESSAGE,
        DLT_EXCEPTION_STACKTRACE, DLT_KEY_EXCEPTION_FQCN, DLT_KEY_EXCEPTION_MESSAGE, DLT_KEY_EXCEPTION_STACKTRACE}) {
      h.remove(name);
    }
    boolean key = isKeyFailure(error);
    h.add(key ? DLT_KEY_EXCEPTION_FQCN : DLT_EXCEPTION_FQCN, HeaderCodec.utf8(error.getClass().getName()));
    if (error.getCause() != null) {
      h.add(DLT_EXCEPTION_CAUSE_FQCN, HeaderCodec.utf8(error.getCause().getClass().getName()));
    }
    if (error.getMessage() != null) {
      h.add(key ? DLT_KEY_EXCEPTION_MESSAGE : DLT_EXCEPTION_MESSAGE, HeaderCodec.utf8(error.getMessage()));
    }
    h.add(key ? DLT_KEY_EXCEPTION_STACKTRACE : DLT_EXCEPTION_STACKTRACE,
        StackTraceText.utf8(error, maxStackTraceBytes));
  }

  private static Headers copy(Headers source) {
    RecordHeaders h = new RecordHeaders();
    for (Header header : source) {
      h.add(header.key(), header.value());
    }
    return h;
  }
}
