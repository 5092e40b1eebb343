package io.sagaflow.kafka.internal;

import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;

/**
 * Says in words why a topic rejected a write and what to change, for the places that write a
 * failed record elsewhere (the exactly-once committer, the recovery pipeline): an operator reads
 * "orders-dlt rejects writes: RecordTooLargeException ...; fix: raise max.message.bytes of
 * orders-dlt", not a transaction's "Cannot execute transactional method because we are in an error
 * state".
 */
public final class WriteFailures {
  private WriteFailures() {}

  /**
   * The broker's own error in {@code error}'s cause chain (the first {@link ApiException}), else the
   * first cause that is not a mere wrapper ({@link ExecutionException}).
   */
  public static Throwable root(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ApiException) {
        return t;
      }
    }
    Throwable t = error;
    while (t instanceof ExecutionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * "{@code topic} rejects writes: &lt;error&gt;; fix: &lt;what to change&gt;" for a write of
   * {@code recordBytes} bytes (negative when unknown) that failed with {@code error}.
   */
  public static String explain(String topic, Throwable error, int recordBytes) {
    Throwable root = root(error);
    return topic + " rejects writes: " + root.getClass().getSimpleName() + ": " + root.getMessage() + "; fix: "
        + hint(topic, root, recordBytes);
  }

  /** Bytes of key, value and headers of {@code record} (what the broker's size limits compare). */
  public static int size(ProducerRecord<byte[], byte[]> record) {
    int n = (record.key() == null ? 0 : record.key().length) + (record.value() == null ? 0 : record.value().length);
    for (Header h : record.headers()) {
      n += h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    return n;
  }

  private static String hint(String topic, Throwable root, int recordBytes) {
    if (root instanceof RecordTooLargeException) {
      return "the record" + (recordBytes >= 0 ? " (" + recordBytes + " bytes of key, value and headers)" : "")
          + " is over the topic's max.message.bytes (or the broker's message.max.bytes): raise it, for example "
          + "kafka-configs.sh --alter --entity-type topics --entity-name " + topic
          + " --add-config max.message.bytes=1048588, or write smaller records (the recovery pipeline: "
          + "RecoveryOptions.withMaxStackTraceBytes)";
    }
    if (root instanceof TopicAuthorizationException) {
      return "grant this client's principal WRITE (and DESCRIBE) on topic " + topic;
    }
    if (root instanceof UnknownTopicOrPartitionException) {
      return "create topic " + topic + " (the recovery pipeline creates it with RecoveryOptions.withCreateTopics(true))";
    }
    if (root instanceof InvalidTopicException) {
      return "'" + topic + "' is not a valid topic name: change the topic the failed record is written to";
    }
    if (root instanceof NotEnoughReplicasException || root instanceof TimeoutException) {
      return "check that the partitions of " + topic + " have a leader and enough in-sync replicas "
          + "(min.insync.replicas)";
    }
    return "check that " + topic + " exists and accepts writes from this client";
  }
}
