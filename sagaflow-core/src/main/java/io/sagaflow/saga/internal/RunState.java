package io.sagaflow.saga.internal;

import io.sagaflow.saga.CompensationOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;

/**
 * What all logical threads of one saga run share: the input record, the user context, the logger,
 * the action channels the run opened (closed when the run ends), and how it compensates.
 */
final class RunState {
  final ConsumerRecord<byte[], byte[]> record;
  final Object userContext;
  final Logger logger;
  private final List<ActionChannelImpl<?>> channels = new ArrayList<>();
  private volatile CompensationOptions compensationOptions = CompensationOptions.DEFAULT;
  private final AtomicInteger compensating = new AtomicInteger();

  /** The topic of the action the run started on (the metrics' topic tag). */
  final String topic;
  /** The run's span, the parent of its effects' spans; set before the run's thread starts. */
  io.sagaflow.tracing.Tracing.Span span = io.sagaflow.tracing.Tracing.Span.NOOP;
  /** Whether the run is a durable restore's probe ({@link RestoreProbe}): its effects are not observed. */
  boolean probe;

  RunState(ConsumerRecord<byte[], byte[]> record, Object userContext, Logger logger, String topic) {
    this.record = record;
    this.userContext = userContext;
    this.logger = logger;
    this.topic = topic;
  }

  CompensationOptions compensationOptions() {
    return compensationOptions;
  }

  void compensationOptions(CompensationOptions options) {
    compensationOptions = options;
  }

  /** Marks the start ({@code true}) or end of one running compensation (several may overlap). */
  void compensating(boolean started) {
    if (started) {
      compensating.incrementAndGet();
    } else {
      compensating.decrementAndGet();
    }
  }

  /** Whether compensation steps are running. */
  boolean compensating() {
    return compensating.get() > 0;
  }

  synchronized void register(ActionChannelImpl<?> channel) {
    channels.add(channel);
  }

  synchronized void closeChannels() {
    channels.forEach(ActionChannelImpl::close);
    channels.clear();
  }
}
