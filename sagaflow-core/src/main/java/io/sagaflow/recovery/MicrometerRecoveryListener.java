package io.sagaflow.recovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recovery metrics on a Micrometer {@link MeterRegistry}. Micrometer is an optional dependency:
 * this is the only Sagaflow recovery class that refers to it, and it is loaded only when you call
 * {@link #of(MeterRegistry)}.
 *
 * <pre>{@code
 * RecoveryListener metrics = MicrometerRecoveryListener.of(registry);
 * RecoveryHandler h = Recovery.handler(options.withListener(metrics));
 * retryProcessorOptions.withNotBefore(Recovery.retryDueTime(metrics));
 * }</pre>
 *
 * <p>Meters: {@code sagaflow.recovery.inplace.retries} (tag {@code topic}), {@code
 * sagaflow.recovery.retries} ({@code topic}, {@code tier}), {@code sagaflow.recovery.dead.lettered}
 * ({@code topic}, {@code exception}), {@code sagaflow.recovery.publish.failures} ({@code topic}),
 * {@code sagaflow.recovery.replayed} ({@code dlt}, {@code target}) and the gauge {@code
 * sagaflow.recovery.retry.oldest.waiting.seconds}: age of the oldest retry-topic record seen
 * waiting for its due time (0 when none waits).
 *
 * <p>On the module path, Micrometer is not read transitively (it is optional): a module that passes
 * a registry requires {@code micrometer.core} itself, hence the {@code exports} lint suppressed here.
 */
@SuppressWarnings("exports")
public final class MicrometerRecoveryListener implements RecoveryListener {
  private final MeterRegistry registry;
  private final Clock clock;
  /** Enqueue time of the head record of each retry-topic partition that is not yet due. */
  private final Map<String, Instant> waiting = new ConcurrentHashMap<>();

  private MicrometerRecoveryListener(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
    Gauge.builder("sagaflow.recovery.retry.oldest.waiting.seconds", this, MicrometerRecoveryListener::oldestWaitingSeconds)
        .description("age of the oldest retry-topic record waiting for its due time")
        .register(registry);
  }

  /** A listener publishing to {@code registry}, timing waits with the system clock. */
  public static MicrometerRecoveryListener of(MeterRegistry registry) {
    return of(registry, Clock.systemUTC());
  }

  /** A listener publishing to {@code registry}, timing waits with {@code clock}. */
  public static MicrometerRecoveryListener of(MeterRegistry registry, Clock clock) {
    return new MicrometerRecoveryListener(Objects.requireNonNull(registry, "registry"),
        Objects.requireNonNull(clock, "clock"));
  }

  @Override
  public void onInPlaceRetry(String topic, int attempt, Throwable error) {
    Counter.builder("sagaflow.recovery.inplace.retries").tag("topic", topic).register(registry).increment();
  }

  @Override
  public void onRetryScheduled(String originTopic, int tier, String retryTopic) {
    Counter.builder("sagaflow.recovery.retries").tag("topic", originTopic).tag("tier", Integer.toString(tier))
        .register(registry).increment();
  }

  @Override
  public void onDeadLettered(String originTopic, String deadLetterTopic, Throwable error) {
    Counter.builder("sagaflow.recovery.dead.lettered").tag("topic", originTopic)
        .tag("exception", error.getClass().getSimpleName()).register(registry).increment();
  }

  @Override
  public void onPublishFailed(String topic, Throwable error) {
    Counter.builder("sagaflow.recovery.publish.failures").tag("topic", topic).register(registry).increment();
  }

  @Override
  public void onReplayed(String deadLetterTopic, String targetTopic) {
    Counter.builder("sagaflow.recovery.replayed").tag("dlt", deadLetterTopic).tag("target", targetTopic)
        .register(registry).increment();
  }

  @Override
  public void onRetryWaiting(String retryTopic, int partition, Instant enqueuedAt, Instant due) {
    String key = retryTopic + "-" + partition;
    if (due.isAfter(clock.instant())) {
      waiting.put(key, enqueuedAt);
    } else {
      waiting.remove(key);
    }
  }

  private double oldestWaitingSeconds() {
    Instant now = clock.instant();
    return waiting.values().stream().mapToLong(t -> now.toEpochMilli() - t.toEpochMilli()).max()
        .orElse(0L) / 1000.0;
  }
}
