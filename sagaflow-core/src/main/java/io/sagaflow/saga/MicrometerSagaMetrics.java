package io.sagaflow.saga;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
 * the reply). Durable saga consumers add the {@code sagaflow.saga.runs} outcomes {@code resumed} (a
 * run rebuilt from its journal; not counted as {@code started} again) and {@code compensated} (a
 * run that ran compensation steps), and {@code sagaflow.saga.durable.resident} and {@code
 * sagaflow.saga.durable.waiting} (gauges, {@code topic}, {@code group}), {@code
 * sagaflow.saga.journal.restore} (timer, {@code topic}, {@code group}), {@code
 * sagaflow.saga.journal.transaction} (timer, {@code topic}, {@code group}, {@code outcome}) and
 * {@code sagaflow.saga.journal.batch.records} (distribution summary, {@code topic}, {@code group}).
 * Every meter also carries the tags given to {@link #of(MeterRegistry, Tags)}, for
 * example the name of the service the runtime is part of.
 */
@SuppressWarnings("exports") // MeterRegistry: Micrometer is optional, users who call this require it themselves
public final class MicrometerSagaMetrics implements SagaMetrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private volatile Gauge inFlight;
  /** The gauges of each durable consumer, by input topic and group, removed when it closes. */
  private final Map<List<String>, List<Gauge>> durable = new ConcurrentHashMap<>();

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
  public void sagaResumed(String topic) {
    runs(topic, "resumed").increment();
  }

  @Override
  public void sagaCompensated(String topic) {
    runs(topic, "compensated").increment();
  }

  @Override
  public void durableOpened(String topic, String group, LongSupplier resident, LongSupplier waiting) {
    Gauge r = Gauge.builder("sagaflow.saga.durable.resident", resident, LongSupplier::getAsLong).strongReference(true)
        .description("Durable saga runs resident in memory").tags(tags).tag("topic", topic).tag("group", group)
        .register(registry);
    Gauge w = Gauge.builder("sagaflow.saga.durable.waiting", waiting, LongSupplier::getAsLong).strongReference(true)
        .description("Durable saga runs waiting for a take, a delay, a race or an all: resident or evicted").tags(tags)
        .tag("topic", topic).tag("group", group).register(registry);
    durable.put(List.of(topic, group), List.of(r, w));
  }

  @Override
  public void durableClosed(String topic, String group) {
    List<Gauge> gauges = durable.remove(List.of(topic, group));
    if (gauges != null) {
      gauges.forEach(registry::remove);
    }
  }

  @Override
  public void journalRestored(String topic, String group, int partition, long nanos, int sagas) {
    Timer.builder("sagaflow.saga.journal.restore").tags(tags).tag("topic", topic).tag("group", group)
        .description("Rebuilding an assigned partition's durable sagas from the journal")
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void journalTransaction(String topic, String group, long nanos, int records, boolean failed) {
    Timer.builder("sagaflow.saga.journal.transaction").tags(tags).tag("topic", topic).tag("group", group)
        .tag("outcome", failed ? "failed" : "completed")
        .description("Journal transactions of a durable saga consumer, from begin to commit")
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    DistributionSummary.builder("sagaflow.saga.journal.batch.records").tags(tags).tag("topic", topic).tag("group", group)
        .description("Records written per journal transaction").register(registry).record(records);
  }

  @Override
  public void close() {
    Gauge g = inFlight;
    if (g != null) {
      registry.remove(g);
    }
    durable.keySet().forEach(k -> durableClosed(k.get(0), k.get(1)));
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
