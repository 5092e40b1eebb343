package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.LoggerFactory;

import io.sagaflow.processor.FailureDecision;
import io.sagaflow.processor.FailureHandler;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryHealth;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RecoveryPublishException;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;

/**
 * A topic saga consumer on the {@link Processor}: one saga run per input record, on the record's
 * virtual thread, in KEY order. Sagaflow keys every action by its transaction id, so actions of one
 * transaction run one after another while other transactions run concurrently. Records without a
 * key (the npm package writes none) run one at a time per partition, in offset order; nothing
 * orders records of different partitions. The input offset is committed when its saga has finished
 * (at-least-once). A saga that throws, times out, or a record that is not an action goes through
 * the recovery pipeline to the dead-letter topic, and is counted and logged ({@link DeadLetterLog}).
 */
public final class ProcessorSagaConsumer<P> implements SagaConsumer {
  private final RecoveryHandler recovery;
  private final Processor<byte[], byte[]> processor;
  private final String deadLetterTopic;
  private final DeadLetterLog deadLetters = new DeadLetterLog(LoggerFactory.getLogger(SagaConsumer.class),
      System::nanoTime, DeadLetterLog.DEFAULT_INTERVAL);

  /**
   * Creates the consumer and starts it.
   *
   * @param runtimeTopics the runtime's topic administrator, or {@code null}; the options' own wins
   * @throws IllegalStateException when the input topic is missing and no administrator may create it
   */
  public ProcessorSagaConsumer(ClusterOptions cluster, Map<String, Object> kafkaProperties, String topic,
      Class<P> payloadType, Saga<P> saga, SagaConsumerOptions options, SagaRunner runner,
      TopicAdministrator runtimeTopics) {
    String deadLetterTopic = options.deadLetterTopicFor(topic);
    this.deadLetterTopic = deadLetterTopic;
    TopicAdministrator topics = options.topicAdministrator() != null ? options.topicAdministrator() : runtimeTopics;
    if (topics != null) {
      topics.ensureTopics(topic);
      topics.ensureCompanionTopics(topic, List.of(deadLetterTopic));
    } else {
      requireInputTopic(cluster, topic, deadLetterTopic);
    }
    RetryPolicy policy = RetryPolicy.defaults()
        .withInPlaceAttempts(1)
        .withRetryTopicDelays(List.of())
        .withDeadLetterTopicNaming(t -> deadLetterTopic);
    // Connection and security come from the cluster, as for every client of the runtime. With an
    // administrator the dead-letter topic exists now; without one, recovery creates it like its input.
    this.recovery = Recovery.handler(RecoveryOptions.of(cluster, options.groupId()).withPolicy(policy)
        .withCreateTopics(topics == null).withListener(options.recoveryListener())
        .withTracing(runner.observers().tracing()));
    try {
      recovery.createTopics(topic);
    } catch (RecoveryPublishException e) {
      recovery.close();
      throw new IllegalStateException("cannot create the dead-letter topic " + deadLetterTopic
          + " of the saga consumer of " + topic + ": " + e.getMessage() + "; create it, or pass a topic administrator"
          + " (SagaOptions.withTopicAdministrator or SagaConsumerOptions.withTopicAdministrator)", e);
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
    FailureHandler failures = failed -> {
      FailureDecision decision = recovery.onFailure(failed);
      // No in-place retries and no retry topics: a finished failure is a written dead letter,
      // written now (done) or once its write is acknowledged (doneWhen: the record finishes then).
      Runnable count = () -> {
        deadLetters.deadLettered(failed.raw().topic(), failed.raw().partition(), failed.raw().offset(),
            deadLetterTopic, failed.error());
        runner.observers().metrics().sagaDeadLettered(topic);
      };
      if (decision instanceof FailureDecision.DoneWhen later) {
        return FailureDecision.doneWhen(later.handedOff().thenRun(count));
      }
      if (decision instanceof FailureDecision.Done) {
        count.run();
      }
      return decision;
    };
    ProcessorOptions<byte[], byte[]> processorOptions = ProcessorOptions
        .create(cluster, options.groupId(), new ByteArrayDeserializer(), new ByteArrayDeserializer())
        .withTopics(topic)
        .withOrdering(Ordering.KEY)
        .withMaxInFlight(options.maxInFlight())
        .withMaxInFlightPerPartition(options.maxInFlight())
        .withShutdownTimeout(options.drainTimeout())
        .withConnectionTimeout(options.connectionTimeout())
        // A saga waits for its puts' acks and for replies: let every ready transaction start at once.
        .withBlockingHandlers(true)
        .withKafkaProperties(consumer)
        .withTracing(runner.observers().tracing())
        .withFailureHandler(failures);
    this.processor = Processor.forRecords(processorOptions, record -> runSaga(runner, saga, payloadType, record));
    processor.start();
  }

  /** Fails with what is missing and how to fix it when the input topic does not exist. */
  private static void requireInputTopic(ClusterOptions cluster, String topic, String deadLetterTopic) {
    Set<String> missing;
    try (TopicAdministrator probe = TopicAdministrator.create(cluster)) {
      missing = probe.missingTopics(List.of(topic, deadLetterTopic));
    }
    if (missing.contains(topic)) {
      String what = missing.contains(deadLetterTopic)
          ? "topics " + topic + " and its dead-letter topic " + deadLetterTopic + " do not exist"
          : "topic " + topic + " does not exist";
      throw new IllegalStateException("the saga consumer of " + topic + " cannot start: " + what + ". Create "
          + (missing.size() > 1 ? "them" : "it") + " (with the partitions and replication you need), or pass a topic"
          + " administrator to create " + (missing.size() > 1 ? "them" : "it") + ": SagaOptions.withTopicAdministrator"
          + "(TopicAdministrator.create(cluster, TopicDefaults.of(partitions))) or"
          + " SagaConsumerOptions.withTopicAdministrator(...)");
    }
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

  @Override
  public long deadLetters() {
    return deadLetters.count();
  }

  @Override
  public ProcessorStatus status() {
    ProcessorStatus s = processor.status();
    if (recovery.health() == RecoveryHealth.UP) {
      return s;
    }
    List<String> problems = new ArrayList<>(s.problems());
    problems.add("dead letters cannot be written to " + deadLetterTopic + ": " + recovery.lastPublishFailure()
        .map(e -> e.getClass().getSimpleName() + ": " + e.getMessage()).orElse("the last write failed")
        + "; the failed records wait (uncommitted) until " + deadLetterTopic + " accepts them");
    return new ProcessorStatus(s.state(), s.assignedPartitions(), s.pausedPartitions(), s.userPausedPartitions(),
        s.inFlight(), s.bufferedBytes(), s.committedOffsets(), s.lastError(), s.stalledRecords(),
        ProcessorStatus.Health.DOWN, problems);
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
