package io.sagaflow.spring.boot.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryPublishException;
import io.sagaflow.recovery.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.spring.boot.SagaflowProperties;

/**
 * The running parts of one {@code @SagaflowListener}: its processor, the processor of its retry
 * topics (group {@code <group>-retries}, only when the policy has retry topics) and the recovery
 * handler both use. Closed in that order: processors first (they drain), recovery last.
 */
public final class RunningListener {
  private final ListenerEndpoint endpoint;
  private final String groupId;
  private final RecoveryHandler recovery;
  private final List<String> recoveryTopics = new ArrayList<>();
  private final List<Processor<Object, Object>> processors = new ArrayList<>();

  private RunningListener(ListenerEndpoint endpoint, String groupId, RecoveryHandler recovery) {
    this.endpoint = endpoint;
    this.groupId = groupId;
    this.recovery = recovery;
  }

  /**
   * Builds and starts the processors of {@code endpoint}.
   *
   * @param policy the retry policy, or null when recovery is off
   * @throws IllegalStateException when the retry or dead-letter topics cannot be created, or a
   *     processor fails to start; whatever started is closed
   */
  public static RunningListener start(ListenerEndpoint endpoint, ClusterOptions cluster, String groupId,
      RetryPolicy policy, SagaflowProperties properties, MetricsBinding metrics, ObjectMapper json) {
    RecoveryHandler recovery = policy == null ? null : Recovery.handler(CoreOptions.recovery(cluster, groupId, policy,
        properties.recovery(), metrics.recoveryListener()));
    RunningListener running = new RunningListener(endpoint, groupId, recovery);
    try {
      ProcessorOptions<Object, Object> options = CoreOptions.processor(ProcessorOptions.create(cluster, groupId,
          MethodRecordHandler.deserializer(endpoint.keyType(), json),
          MethodRecordHandler.deserializer(endpoint.valueType(), json)), properties.processor());
      if (endpoint.ordering() != null) {
        options = options.withOrdering(endpoint.ordering());
      }
      if (endpoint.concurrency() != null) {
        options = options.withMaxInFlight(endpoint.concurrency());
      }
      if (endpoint.consumers() != null) {
        options = options.withConsumers(endpoint.consumers());
      }
      options = options.withMetrics(metrics.processorMetrics()).withTopics(endpoint.topics());
      String instanceId = options.instanceId();
      if (instanceId != null) {
        // One instance runs several processors: each needs a static member id (and exactly-once
        // transactional ids) of its own, the same after a restart.
        options = options.withInstanceId(instanceId + "-" + endpoint.id());
      }
      MethodRecordHandler handler = new MethodRecordHandler(endpoint);
      if (recovery != null) {
        options = options.withFailureHandler(recovery);
        List<String> retryTopics = new ArrayList<>();
        for (String topic : endpoint.topics()) {
          if (!policy.retryTopicDelays().isEmpty()) {
            try {
              recovery.createTopics(topic); // before the retry processor subscribes to them
            } catch (RecoveryPublishException e) {
              throw new IllegalStateException(endpoint.where() + ": cannot create the retry and dead-letter topics"
                  + " of " + topic + ": " + e.getMessage() + "; create them, or check that " + topic + " exists", e);
            }
          }
          retryTopics.addAll(policy.retryTopics(topic));
          running.recoveryTopics.addAll(policy.retryTopics(topic));
          running.recoveryTopics.add(policy.deadLetterTopic(topic));
        }
        if (!retryTopics.isEmpty()) {
          ProcessorOptions<Object, Object> retryOptions = instanceId == null ? options
              : options.withInstanceId(instanceId + "-" + endpoint.id() + "-retries");
          running.processors.add(Processor.forRecords(retryOptions.withGroupId(groupId + "-retries")
              .withTopics(retryTopics)
              .withNotBefore(Recovery.retryDueTime(metrics.recoveryListener())), handler));
        }
      }
      running.processors.add(0, Processor.forRecords(options, handler));
      for (Processor<Object, Object> p : running.processors) {
        p.start();
      }
      return running;
    } catch (RuntimeException e) {
      running.close(Duration.ofSeconds(5));
      throw e;
    }
  }

  /** The listener's name. */
  public String id() {
    return endpoint.id();
  }

  /** The main processor's group. */
  public String groupId() {
    return groupId;
  }

  /** The status of the listener's processor, then of its retry processor if any. */
  public List<ProcessorStatus> statuses() {
    return processors.stream().map(Processor::status).toList();
  }

  /** The recovery handler, if recovery is on. */
  public Optional<RecoveryHandler> recovery() {
    return Optional.ofNullable(recovery);
  }

  /** The retry and dead-letter topics recovery writes to (empty when recovery is off). */
  public List<String> recoveryTopics() {
    return List.copyOf(recoveryTopics);
  }

  /** Drains the processors (in parallel) within {@code timeout}, then closes recovery. */
  public void close(Duration timeout) {
    try {
      List<Thread> closing = new ArrayList<>();
      // Not named sagaflow-*: a processor closed from such a virtual thread takes the call for one from
      // its own handler, and returns without waiting for the drain.
      for (Processor<Object, Object> p : processors) {
        closing.add(Thread.ofVirtual().name("starter-drain-" + endpoint.id()).start(() -> p.close(timeout)));
      }
      for (Thread t : closing) {
        t.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (recovery != null) {
        recovery.close();
      }
    }
  }
}
