package io.sagaflow.spring.boot;

import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.processor.StalledRecord;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryHealth;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.spring.boot.internal.RunningListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Sagaflow's health ({@code /actuator/health/sagaflow}): DOWN when any listener's processor or
 * retry processor is DOWN ({@link ProcessorStatus#health()}: stopped, cluster unreachable, a record
 * stalled past {@code sagaflow.processor.stall-alarm-after}), when a recovery handler cannot write
 * its retry or dead-letter topics ({@link RecoveryHealth#DOWN}), or when a saga consumer is DOWN
 * (the same, for its processor and its dead-letter topic). Each part's details say why, naming the
 * topic, the record or the servers, and the fix.
 *
 * <p>Details per listener id: state, health, in-flight records, assigned partitions, stalled records
 * (up to 5), problems, and the recovery's health with its last failure; per saga consumer the same,
 * and the number of sagas running.
 */
public final class SagaflowHealthIndicator implements HealthIndicator {
  private static final int MAX_STALLED_SHOWN = 5;

  private final SagaflowContainer container;

  /**
   * The health of the parts {@code container} runs.
   *
   * @param container the container of the listeners and saga consumers
   */
  public SagaflowHealthIndicator(SagaflowContainer container) {
    this.container = container;
  }

  @Override
  public Health health() {
    boolean up = true;
    Map<String, Object> listeners = new LinkedHashMap<>();
    for (RunningListener l : container.listeners()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("group", l.groupId());
      List<ProcessorStatus> statuses = l.statuses();
      for (int i = 0; i < statuses.size(); i++) {
        ProcessorStatus s = statuses.get(i);
        up &= s.healthy();
        d.put(i == 0 ? "processor" : "retryProcessor", details(s));
      }
      if (l.recovery().isPresent()) {
        RecoveryHandler r = l.recovery().get();
        Map<String, Object> rd = new LinkedHashMap<>();
        rd.put("health", r.health().name());
        rd.put("topics", l.recoveryTopics());
        if (r.health() == RecoveryHealth.DOWN) {
          up = false;
          // The topics it writes and the broker's error: a dead-letter topic that rejects the records.
          r.lastPublishFailure().ifPresent(e -> rd.put("lastFailure", e.getClass().getSimpleName() + ": "
              + e.getMessage()));
        }
        d.put("recovery", rd);
      }
      listeners.put(l.id(), d);
    }
    Map<String, Object> sagas = new LinkedHashMap<>();
    for (Map.Entry<String, SagaConsumer> e : container.sagaConsumers().entrySet()) {
      ProcessorStatus s = e.getValue().status();
      up &= s.healthy();
      Map<String, Object> d = details(s);
      d.put("deadLetters", e.getValue().deadLetters());
      sagas.put(e.getKey(), d);
    }
    Health.Builder b = up ? Health.up() : Health.down();
    b.withDetail("running", container.isRunning());
    if (!listeners.isEmpty()) {
      b.withDetail("listeners", listeners);
    }
    if (!sagas.isEmpty()) {
      b.withDetail("sagaConsumers", sagas);
    }
    container.sagaRuntime().ifPresent(r -> b.withDetail("sagasRunning", r.running()));
    return b.build();
  }

  private static Map<String, Object> details(ProcessorStatus s) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("state", s.state().name());
    d.put("health", s.health().name());
    d.put("inFlight", s.inFlight());
    d.put("assignedPartitions", s.assignedPartitions().size());
    if (!s.stalledRecords().isEmpty()) {
      List<String> stalled = new ArrayList<>();
      for (StalledRecord r : s.stalledRecords().subList(0, Math.min(MAX_STALLED_SHOWN, s.stalledRecords().size()))) {
        stalled.add(r.partition() + "@" + r.offset() + " key=" + r.key() + " attempts=" + r.attempts() + " since "
            + r.firstFailure() + ": " + r.exceptionClass() + (r.exceptionMessage() == null ? "" : ": "
            + r.exceptionMessage()));
      }
      d.put("stalledRecords", stalled);
      d.put("stalledCount", s.stalledRecords().size());
    }
    if (!s.problems().isEmpty()) {
      d.put("problems", s.problems());
    }
    return d;
  }
}
