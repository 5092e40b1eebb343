package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicSpec;
import io.sagaflow.recovery.RecoveryHeaders;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/** The topics of a durable saga consumer, and the records it builds for them. */
final class DurableTopics {
  private DurableTopics() {}

  /**
   * Creates the journal topic (compacted, the input's partition count) and the dead-letter topic
   * when missing, with {@code topics} or, when null, a temporary administrator; fails when the
   * input is missing or the journal's partition count differs from the input's.
   */
  static void ensure(ClusterOptions cluster, Admin admin, String topic, String journalTopic, String deadLetterTopic,
      TopicAdministrator topics) {
    TopicAdministrator own = topics == null ? TopicAdministrator.create(cluster) : null;
    TopicAdministrator use = topics != null ? topics : own;
    try {
      if (topics != null) {
        use.ensureTopics(topic);
      }
      int partitions = partitions(admin, topic).orElseThrow(() -> new IllegalStateException("the durable saga consumer of "
          + topic + " cannot start: topic " + topic + " does not exist; create it, or pass a topic administrator"
          + " (SagaOptions.withTopicAdministrator or SagaConsumerOptions.withTopicAdministrator)"));
      use.ensureCompanionTopics(topic, List.of(deadLetterTopic));
      use.ensureTopics(List.of(TopicSpec.of(journalTopic, partitions).withConfig("cleanup.policy", "compact")));
      int journalPartitions = partitions(admin, journalTopic).orElse(partitions);
      if (journalPartitions != partitions) {
        throw new IllegalStateException("the saga journal topic " + journalTopic + " has " + journalPartitions
            + " partitions but the input topic " + topic + " has " + partitions + "; a saga started on input"
            + " partition p journals to journal partition p, so they must match: add partitions to " + journalTopic
            + " (kafka-topics --alter --partitions " + partitions + ") or, if no saga is in flight, delete it, or"
            + " choose another journal topic (SagaConsumerOptions.withJournalTopic)");
      }
    } finally {
      if (own != null) {
        own.close();
      }
    }
  }

  private static java.util.Optional<Integer> partitions(Admin admin, String name) {
    try {
      TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get(60, TimeUnit.SECONDS).get(name);
      return java.util.Optional.of(d.partitions().size());
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
        return java.util.Optional.empty();
      }
      throw new IllegalStateException("cannot describe topic " + name + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic " + name, e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("describing topic " + name + " did not finish within 60 s", e);
    }
  }

  /** The input record a resumed run started from, rebuilt from its journal (for its context and dead letter). */
  static ConsumerRecord<byte[], byte[]> inputRecord(SagaJournal journal, ActionCodec codec) {
    InputPosition in = journal.input();
    ProducerRecord<byte[], byte[]> p = codec.toRecord(journal.action());
    RecordHeaders headers = new RecordHeaders(p.headers().toArray());
    return new ConsumerRecord<>(in.topic(), in.partition(), in.offset(), journal.startedAt().toEpochMilli(),
        TimestampType.CREATE_TIME, -1, -1, p.key(), p.value(), headers, java.util.Optional.empty());
  }

  /** A journal record as read, for its dead letter. */
  static ConsumerRecord<byte[], byte[]> journalRecord(String journalTopic, int partition, String key, byte[] value) {
    return new ConsumerRecord<>(journalTopic, partition, -1, System.currentTimeMillis(), TimestampType.CREATE_TIME,
        -1, -1, key.getBytes(StandardCharsets.UTF_8), value, new RecordHeaders(), java.util.Optional.empty());
  }

  /** A dead letter of {@code r} with Spring-compatible headers. */
  static ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> r, Throwable error,
      String deadLetterTopic, String groupId) {
    Headers h = new RecordHeaders(r.headers().toArray());
    h.add(RecoveryHeaders.DLT_ORIGINAL_TOPIC, r.topic().getBytes(StandardCharsets.UTF_8));
    h.add(RecoveryHeaders.DLT_ORIGINAL_PARTITION, ByteBuffer.allocate(4).putInt(r.partition()).array());
    h.add(RecoveryHeaders.DLT_ORIGINAL_OFFSET, ByteBuffer.allocate(8).putLong(r.offset()).array());
    h.add(RecoveryHeaders.DLT_ORIGINAL_TIMESTAMP, ByteBuffer.allocate(8).putLong(r.timestamp()).array());
    h.add(RecoveryHeaders.DLT_ORIGINAL_TIMESTAMP_TYPE, r.timestampType().toString().getBytes(StandardCharsets.UTF_8));
    h.add(RecoveryHeaders.DLT_ORIGINAL_CONSUMER_GROUP, groupId.getBytes(StandardCharsets.UTF_8));
    h.add(RecoveryHeaders.DLT_EXCEPTION_FQCN, error.getClass().getName().getBytes(StandardCharsets.UTF_8));
    if (error.getMessage() != null) {
      h.add(RecoveryHeaders.DLT_EXCEPTION_MESSAGE, error.getMessage().getBytes(StandardCharsets.UTF_8));
    }
    h.add(RecoveryHeaders.FAILED_AT, ByteBuffer.allocate(8).putLong(System.currentTimeMillis()).array());
    return new ProducerRecord<>(deadLetterTopic, null, null, r.key(), r.value(), h);
  }
}
