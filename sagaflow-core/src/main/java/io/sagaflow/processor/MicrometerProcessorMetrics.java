package io.sagaflow.processor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;

/**
 * Processor metrics on a Micrometer {@link MeterRegistry}. Micrometer is an optional dependency:
 * this is the only processor class that refers to it, and it is loaded only when you call {@link
 * #of(MeterRegistry)}.
 *
 * <pre>{@code
 * Processor.forRecords(options.withMetrics(MicrometerProcessorMetrics.of(registry)), handler);
 * }</pre>
 *
 * <p>Meters, each tagged {@code group}: {@code sagaflow.processor.records} (counter, tag {@code
 * outcome} = {@code processed} or {@code failed}), {@code sagaflow.processor.handler.latency} and
 * {@code sagaflow.processor.commit.latency} (timers), the gauges {@code sagaflow.processor.in.flight},
 * {@code sagaflow.processor.paused.partitions} and {@code sagaflow.processor.stalled.records} (see
 * {@link StalledRecord}), and {@code sagaflow.processor.lag} (gauge, tags
 * {@code topic} and {@code partition}). They are removed from the registry when the processor closes.
 */
@SuppressWarnings("exports") // MeterRegistry: Micrometer is optional, users who call this require it themselves
public final class MicrometerProcessorMetrics implements ProcessorMetrics {
  private final MeterRegistry registry;

  private MicrometerProcessorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Metrics published to {@code registry}. */
  public static MicrometerProcessorMetrics of(MeterRegistry registry) {
    return new MicrometerProcessorMetrics(Objects.requireNonNull(registry, "registry"));
  }

  @Override
  public Recorder open(Gauges gauges) {
    return new MicrometerRecorder(registry, gauges);
  }

  @Override
  public String toString() {
    return "MicrometerProcessorMetrics[" + registry.getClass().getSimpleName() + "]";
  }

  private static final class MicrometerRecorder implements Recorder {
    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter processed;
    private final Counter failed;
    private final Timer handlerLatency;
    private final Timer commitLatency;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<TopicPartition, AtomicLong> lags = new ConcurrentHashMap<>();
    private final AtomicLong stalled = new AtomicLong();
    private final Map<TopicPartition, Meter> lagGauges = new ConcurrentHashMap<>();

    MicrometerRecorder(MeterRegistry registry, Gauges gauges) {
      this.registry = registry;
      this.tags = Tags.of("group", gauges.groupId());
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
      // Strong references: Micrometer holds gauged objects weakly, and nobody else may keep the
      // Gauges object, so a GC would turn the gauges into NaN.
      meters.add(Gauge.builder("sagaflow.processor.in.flight", gauges, g -> g.inFlight())
          .strongReference(true).tags(tags).register(registry));
      meters.add(Gauge.builder("sagaflow.processor.paused.partitions", gauges, g -> g.pausedPartitions())
          .strongReference(true).tags(tags).register(registry));
      meters.add(Gauge.builder("sagaflow.processor.stalled.records", stalled, AtomicLong::get)
          .description("Records that keep failing and are retried in place (see ProcessorStatus.stalledRecords)")
          .strongReference(true).tags(tags).register(registry));
    }

    @Override
    public void processed(long handlerNanos, int records) {
      processed.increment(records);
      handlerLatency.record(handlerNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void failed() {
      failed.increment();
    }

    @Override
    public void committed(long nanos) {
      commitLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void lag(TopicPartition partition, long lag) {
      lags.computeIfAbsent(partition, p -> {
        AtomicLong holder = new AtomicLong();
        lagGauges.put(p, Gauge.builder("sagaflow.processor.lag", holder, AtomicLong::get)
            .tags(tags).tag("topic", p.topic()).tag("partition", Integer.toString(p.partition()))
            .register(registry));
        return holder;
      }).set(lag);
    }

    @Override
    public void stalledRecords(long count) {
      stalled.set(count);
    }

    @Override
    public void partitionRemoved(TopicPartition partition) {
      lags.remove(partition);
      Meter m = lagGauges.remove(partition);
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
}
