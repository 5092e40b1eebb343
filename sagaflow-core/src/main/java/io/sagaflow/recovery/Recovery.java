package io.sagaflow.recovery;

import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicDefaults;
import io.sagaflow.kafka.internal.KafkaClients;

import io.sagaflow.recovery.internal.HeaderCodec;
import io.sagaflow.recovery.internal.ProducerRecoveryPublisher;
import io.sagaflow.recovery.internal.RecoveryFailureHandler;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Entry point of the recovery pipeline: in-place retries, delayed retry topics, dead-letter topic.
 *
 * <pre>{@code
 * RecoveryOptions options = RecoveryOptions.of(bootstrap, "orders-service");
 * try (RecoveryHandler recovery = Recovery.handler(options)) {
 *   recovery.createTopics("orders"); // retry topics and DLT with the partition count of "orders"
 *   // main consumer: failures are retried in place, then go to orders-retry-1s ... orders-dlt
 *   Processor<String, Order> main = Processor.forRecords(processorOptions
 *       .withTopics("orders")
 *       .withFailureHandler(recovery), handler).start();
 *   // retry consumer: holds each partition until its head record is due
 *   Processor<String, Order> retries = Processor.forRecords(processorOptions
 *       .withGroupId("orders-service-retries")
 *       .withTopics(Recovery.retryTopics("orders", options.policy()))
 *       .withNotBefore(Recovery.retryDueTime())
 *       .withFailureHandler(recovery), handler).start();
 * }
 * }</pre>
 *
 * <p>Guarantee: a failed record is finished only after its retry or dead-letter copy is
 * acknowledged by the broker ({@code acks=all}). Inside a processor the handler does not wait for
 * that ack: it returns {@code FailureDecision.doneWhen(ack)}, the record's key goes on with its next
 * record, copies of many failed records share producer requests, and the processor finishes the
 * record, so its offset can be committed, when the ack arrives. If the write fails, the processor
 * backs off and calls again, and the record's offset is not committed past it; health is DOWN until
 * a write succeeds. The copy is written at least once: a crash between the ack and the
 * offset commit, or an ack that arrives after the publish timeout, can leave two copies (each with
 * the same {@code kafka_dlt-original-*} coordinates, so they are easy to spot). In an exactly-once
 * processor the copy and the offset advance commit in one transaction instead: the processor writes
 * the copy in a transaction of its own before it finishes the record, so a topic that rejects it
 * holds back that record only, health is DOWN naming the topic and the fix, and nothing else is
 * aborted or re-run.
 */
public final class Recovery {
  private Recovery() {}

  /** Builds the failure handler; close it after the processors that use it. */
  public static RecoveryHandler handler(RecoveryOptions options) {
    Objects.requireNonNull(options, "options");
    KafkaProducer<byte[], byte[]> kafkaProducer = KafkaClients.producer(options.cluster(), role(options),
        producerOverrides(options));
    TopicAdministrator topics = null;
    if (options.createTopics()) {
      try {
        topics = topicAdministrator(options);
      } catch (RuntimeException e) {
        kafkaProducer.close();
        throw e;
      }
    }
    return new RecoveryFailureHandler(options, new ProducerRecoveryPublisher(kafkaProducer), topics);
  }

  /** The recovery producer's settings on top of the cluster's: our defaults, then the user's properties. */
  static Map<String, Object> producerOverrides(RecoveryOptions options) {
    Map<String, Object> producer = new HashMap<>();
    producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, options.publishTimeout().toMillis());
    // Inside a processor nobody waits for a copy's ack (the record finishes when it comes), so a
    // long linger costs no throughput and puts many copies in one batch and one request: in bench
    // recovery (1,000 copies a second over 6 partitions) 20 ms made batches of about 3 copies, and
    // the per-batch and per-request work (compression buffers, the sender's and the broker's
    // handling) cost more than the copies themselves. A blocking publish (outside a processor)
    // waits out the linger.
    producer.put(ProducerConfig.LINGER_MS_CONFIG, 100);
    producer.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    // No compression of our own (Kafka's default, like the processor's producer; a codec in the
    // cluster's settings or the user's properties applies). lz4 shrank a batch of copies 25-fold,
    // but a second codec beside an uncompressed producer costs every producer of the JVM: the
    // first copies deoptimize the JIT's code of the shared send path (RecordAccumulator,
    // MemoryRecordsBuilder, DataOutputStream, compiled for one stream type), which then runs
    // interpreted for seconds and stays bimorphic after; in bench recovery that made the
    // handler's own sends ~60 % dearer in the failures run, more CPU than sending the dead
    // letters took (BENCHMARKS.md, recovery pipeline, session 9).
    producer.putAll(options.producerProperties());
    return producer;
  }

  /**
   * Retry and dead-letter topics are created like any Sagaflow topic, by a {@link
   * TopicAdministrator}: with the source topic's partition count (a record keeps its partition),
   * the broker's default replication, within the publish timeout.
   */
  private static TopicAdministrator topicAdministrator(RecoveryOptions options) {
    // Producer-only keys would be warned about by the admin client.
    return TopicAdministrator.create(options.cluster(), TopicDefaults.brokerDefaults(),
        KafkaClients.known(options.producerProperties(), KafkaClients.adminKeys()), options.publishTimeout());
  }

  private static String role(RecoveryOptions options) {
    return "recovery" + (options.groupId() == null ? "" : "-" + options.groupId());
  }

  /**
   * Builds a failure handler for exactly-once processing: retry and dead-letter records are sent
   * through {@code transactionalProducer} inside the transaction the caller has open (the one that
   * will also carry the consumed offsets via {@code sendOffsetsToTransaction}), and {@code done()}
   * is returned without waiting for an ack. The copy and the offset advance then commit or abort
   * together; after an abort the caller rewinds and the record fails and is recovered again. The
   * caller keeps owning the producer ({@link RecoveryHandler#close()} does not close it); only
   * {@code options.producerProperties()} relevant to the admin client are used.
   *
   * <pre>{@code
   * producer.beginTransaction();
   * FailureDecision d = handler.onFailure(failed);        // DLT write joins the transaction
   * producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
   * producer.commitTransaction();                          // copy and offset become visible together
   * }</pre>
   */
  public static RecoveryHandler transactionalHandler(RecoveryOptions options,
      org.apache.kafka.clients.producer.Producer<byte[], byte[]> transactionalProducer) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(transactionalProducer, "transactionalProducer");
    return new RecoveryFailureHandler(options,
        new io.sagaflow.recovery.internal.TransactionalRecoveryPublisher(transactionalProducer),
        options.createTopics() ? topicAdministrator(options) : null);
  }

  /**
   * The not-before function of the retry-topic processor: the {@code sagaflow-retry-due} header of
   * a record, or {@link Instant#EPOCH} (due now) when it has none.
   */
  public static Function<ConsumerRecord<byte[], byte[]>, Instant> retryDueTime() {
    return Recovery::dueTime;
  }

  /** Like {@link #retryDueTime()}, also telling {@code listener} about each head record that waits. */
  public static Function<ConsumerRecord<byte[], byte[]>, Instant> retryDueTime(RecoveryListener listener) {
    Objects.requireNonNull(listener, "listener");
    return record -> {
      Instant due = dueTime(record);
      try {
        listener.onRetryWaiting(record.topic(), record.partition(), Instant.ofEpochMilli(record.timestamp()), due);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(Recovery.class).warn("recovery listener failed; ignored", e);
      }
      return due;
    };
  }

  /** The retry topics of {@code sourceTopic} under {@code policy}, tier 1 first: subscribe the retry processor to these. */
  public static List<String> retryTopics(String sourceTopic, RetryPolicy policy) {
    return policy.retryTopics(sourceTopic);
  }

  private static Instant dueTime(ConsumerRecord<byte[], byte[]> record) {
    Long due = HeaderCodec.lastLong(record.headers(), RecoveryHeaders.RETRY_DUE);
    return due == null ? Instant.EPOCH : Instant.ofEpochMilli(due);
  }
}
