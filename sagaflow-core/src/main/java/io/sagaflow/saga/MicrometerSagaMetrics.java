package io.sagaflow.saga;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Saga metrics on a Micrometer {@link MeterRegistry}. Micrometer is an optional dependency: this is
 * the only saga class that refers to it, loaded only when you call {@link #of(MeterRegistry)}.
 *
 * <pre>{@code
 * SagaRuntime runtime = Sagas.runtime(options.withMetrics(MicrometerSagaMetrics.of(registry)));
 * }</pre>
 *
 * <p>Meters (the README's "Observability" table lists them all): {@code sagaflow.saga.runs}
 * (counter, tags {@code topic} and {@code outcome} = {@code started}, {@code completed}, {@code
 * failed} or {@code dead.lettered}), {@code sagaflow.saga.duration} (timer, {@code topic}, {@code
 * outcome}), {@code sagaflow.saga.in.flight} (gauge), {@code sagaflow.saga.effect.latency} (timer,
 * {@code topic}, {@code kind}, {@code outcome}), {@code sagaflow.saga.put.latency} (timer, {@code
 * topic} of the put, {@code outcome}) and {@code sagaflow.saga.reply.lag} (timer, {@code topic} of
 * the reply). Every meter also carries the tags given to {@link #of(MeterRegistry, Tags)}, for
 * example the name of the service the runtime is part of.
 */
@SuppressWarnings("exports") // MeterRegistry: Micrometer is optional, users who call this require it themselves
public final class MicrometerSagaMetrics implements SagaMetrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private volatile Gauge inFlight;

  private MicrometerSagaMetrics(MeterRegistry registry, Tags tags) {
    this.registry = registry;
    this.tags = tags;
  }

  /** Metrics published to {@code registry}. */
  public static MicrometerSagaMetrics of(MeterRegistry registry) {
    return of(registry, Tags.empty());
  }

  /** Metrics published to {@code registry}, each meter with {@code tags} too (e.g. {@code saga=kitchen}). */
  public static MicrometerSagaMetrics of(MeterRegistry registry, Tags tags) {
    return new MicrometerSagaMetrics(Objects.requireNonNull(registry, "registry"), Objects.requireNonNull(tags, "tags"));
  }

  @Override
  public void open(LongSupplier running) {
    inFlight = Gauge.builder("sagaflow.saga.in.flight", running, LongSupplier::getAsLong).strongReference(true)
        .description("Saga runs in progress").tags(tags).register(registry);
  }

  @Override
  public void sagaStarted(String topic) {
    runs(topic, "started").increment();
  }

  @Override
  public void sagaEnded(String topic, long nanos, Throwable error) {
    String outcome = error == null ? "completed" : "failed";
    runs(topic, outcome).increment();
    Timer.builder("sagaflow.saga.duration").tags(tags).tag("topic", topic).tag("outcome", outcome)
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void sagaDeadLettered(String topic) {
    runs(topic, "dead.lettered").increment();
  }

  @Override
  public void effect(String topic, String kind, long nanos, boolean failed) {
    Timer.builder("sagaflow.saga.effect.latency").tags(tags).tag("topic", topic).tag("kind", kind)
        .tag("outcome", failed ? "failed" : "completed").register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void put(String topic, long nanos, boolean failed) {
    Timer.builder("sagaflow.saga.put.latency").tags(tags).tag("topic", topic)
        .tag("outcome", failed ? "failed" : "completed").register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void replyRouted(String topic, long lagMillis) {
    Timer.builder("sagaflow.saga.reply.lag").tags(tags).tag("topic", topic)
        .description("From a reply record's timestamp to its hand-over to a waiting take or channel")
        .register(registry).record(Math.max(0, lagMillis), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    Gauge g = inFlight;
    if (g != null) {
      registry.remove(g);
    }
  }

  private Counter runs(String topic, String outcome) {
    return Counter.builder("sagaflow.saga.runs").tags(tags).tag("topic", topic).tag("outcome", outcome)
        .description("Saga runs by outcome").register(registry);
  }

  @Override
  public String toString() {
    return "MicrometerSagaMetrics[" + registry.getClass().getSimpleName() + ", " + tags + "]";
  }
}
