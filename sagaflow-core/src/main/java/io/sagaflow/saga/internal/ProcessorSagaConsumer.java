package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RecoveryPublishException;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;

/**
 * A topic saga consumer on the {@link Processor}: one saga run per input record, on the record's
 * virtual thread, in KEY order. Sagaflow keys every action by its transaction id, so actions of one
 * transaction run one after another while other transactions run concurrently (records without a
 * key, e.g. from other producers, run one at a time per partition). The input offset is committed
 * when its saga has finished (at-least-once). A saga that throws, times out, or a record that is
 * not an action goes through the recovery pipeline to the dead-letter topic.
 */
public final class ProcessorSagaConsumer<P> implements SagaConsumer {
  private final RecoveryHandler recovery;
  private final Processor<byte[], byte[]> processor;

  public ProcessorSagaConsumer(ClusterOptions cluster, Map<String, Object> kafkaProperties, String topic,
      Class<P> payloadType, Saga<P> saga, SagaConsumerOptions options, SagaRunner runner) {
    RetryPolicy policy = RetryPolicy.defaults()
        .withInPlaceAttempts(1)
        .withRetryTopicDelays(List.of())
        .withDeadLetterTopicNaming(t -> options.deadLetterTopic());
    // Connection and security come from the cluster, as for every client of the runtime.
    this.recovery = Recovery.handler(RecoveryOptions.of(cluster, options.groupId()).withPolicy(policy));
    try {
      recovery.createTopics(topic);
    } catch (RecoveryPublishException e) {
      recovery.close();
      throw new IllegalStateException("cannot create the dead-letter topic " + options.deadLetterTopic()
          + " of the saga consumer of " + topic + ": " + e.getMessage(), e);
    }
    Map<String, Object> consumer = new HashMap<>();
    kafkaProperties.forEach((k, v) -> {
      if (!k.equals(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) && !k.equals(ConsumerConfig.GROUP_ID_CONFIG)
          && !k.equals(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG) && !k.endsWith(".deserializer")
          && !k.endsWith(".serializer") && ConsumerConfig.configNames().contains(k)) {
        consumer.put(k, v);
      }
    });
    consumer.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    ProcessorOptions<byte[], byte[]> processorOptions = ProcessorOptions
        .create(cluster, options.groupId(), new ByteArrayDeserializer(), new ByteArrayDeserializer())
        .withTopics(topic)
        .withOrdering(Ordering.KEY)
        .withMaxInFlight(options.maxInFlight())
        .withMaxInFlightPerPartition(options.maxInFlight())
        .withShutdownTimeout(options.drainTimeout())
        // A saga waits for its puts' acks and for replies: let every ready transaction start at once.
        .withBlockingHandlers(true)
        .withKafkaProperties(consumer)
        .withFailureHandler(recovery);
    this.processor = Processor.forRecords(processorOptions, record -> runSaga(runner, saga, payloadType, record));
    processor.start();
  }

  private static <P> void runSaga(SagaRunner runner, Saga<P> saga, Class<P> payloadType,
      ProcessorRecord<byte[], byte[]> record) throws Exception {
    CompletableFuture<Void> run = runner.run(saga, payloadType, record.raw());
    try {
      run.get();
    } catch (InterruptedException e) {
      run.cancel(true); // the processor is shutting down: the record stays uncommitted, the next owner reruns it
      throw e;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  @Override
  public boolean isAssigned() {
    return !processor.status().assignedPartitions().isEmpty();
  }

  /** Lets running sagas finish within the drain timeout, commits, closes. */
  @Override
  public void close() {
    try {
      processor.close();
    } finally {
      recovery.close();
    }
  }
}
