package io.sagaflow.processor.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;

/** Micrometer meters of one processor. The only class that references Micrometer. */
final class MicrometerMetrics implements Metrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private final Counter processed;
  private final Counter failed;
  private final Timer handlerLatency;
  private final Timer commitLatency;
  private final List<Meter> meters = new ArrayList<>();
  private final Map<TopicPartition, AtomicLong> lags = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Meter> lagGauges = new ConcurrentHashMap<>();

  private MicrometerMetrics(MeterRegistry registry, String groupId, LongSupplier inFlight, LongSupplier paused) {
    this.registry = registry;
    this.tags = Tags.of("group", groupId);
    processed = Counter.builder("sagaflow.processor.records").tags(tags).tag("outcome", "processed")
        .description("Records whose handler returned normally").register(registry);
    failed = Counter.builder("sagaflow.processor.records").tags(tags).tag("outcome", "failed")
        .description("Handler or deserialization failures").register(registry);
    handlerLatency = Timer.builder("sagaflow.processor.handler.latency").tags(tags).register(registry);
    commitLatency = Timer.builder("sagaflow.processor.commit.latency").tags(tags).register(registry);
    meters.add(processed);
    meters.add(failed);
    meters.add(handlerLatency);
    meters.add(commitLatency);
    // Strong references: Micrometer holds gauged objects weakly, and these suppliers are lambdas
    // nobody else keeps, so a GC would turn the gauges into NaN.
    meters.add(Gauge.builder("sagaflow.processor.in.flight", inFlight, s -> s.getAsLong())
        .strongReference(true).tags(tags).register(registry));
    meters.add(Gauge.builder("sagaflow.processor.paused.partitions", paused, s -> s.getAsLong())
        .strongReference(true).tags(tags).register(registry));
  }

  static Metrics create(Object registry, String groupId, LongSupplier inFlight, LongSupplier paused) {
    return new MicrometerMetrics((MeterRegistry) registry, groupId, inFlight, paused);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public void processed(long startNanos, int count) {
    processed.increment(count);
    handlerLatency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void failed() {
    failed.increment();
  }

  @Override
  public void commitLatency(long nanos) {
    commitLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void lag(TopicPartition tp, long lag) {
    lags.computeIfAbsent(tp, p -> {
      AtomicLong holder = new AtomicLong();
      lagGauges.put(p, Gauge.builder("sagaflow.processor.lag", holder, AtomicLong::get)
          .tags(tags).tag("topic", p.topic()).tag("partition", Integer.toString(p.partition()))
          .register(registry));
      return holder;
    }).set(lag);
  }

  @Override
  public void removePartition(TopicPartition tp) {
    lags.remove(tp);
    Meter m = lagGauges.remove(tp);
    if (m != null) {
      registry.remove(m);
    }
  }

  @Override
  public void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
    for (Meter m : lagGauges.values()) {
      registry.remove(m);
    }
    lagGauges.clear();
  }
}
