package io.sagaflow.spring.boot.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.sagaflow.processor.MicrometerProcessorMetrics;
import io.sagaflow.processor.ProcessorMetrics;
import io.sagaflow.recovery.MicrometerRecoveryListener;
import io.sagaflow.recovery.RecoveryListener;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Binds processors and recovery to the application's {@link MeterRegistry}, looked up when the first
 * processor is built (after every auto-configuration ran), so that no configuration order matters.
 * Without a registry it measures nothing.
 */
public final class MicrometerBinding implements MetricsBinding {
  private final ObjectProvider<MeterRegistry> registries;
  private MeterRegistry registry;
  private RecoveryListener recovery;

  /** A binding to the registry {@code registries} holds, if any. */
  public MicrometerBinding(ObjectProvider<MeterRegistry> registries) {
    this.registries = registries;
  }

  private synchronized MeterRegistry registry() {
    if (registry == null) {
      registry = registries.getIfUnique();
    }
    return registry;
  }

  @Override
  public ProcessorMetrics processorMetrics() {
    MeterRegistry r = registry();
    return r == null ? ProcessorMetrics.none() : MicrometerProcessorMetrics.of(r);
  }

  @Override
  public synchronized RecoveryListener recoveryListener() {
    if (recovery == null) {
      MeterRegistry r = registry();
      // One listener for the whole application: it registers its gauge once.
      recovery = r == null ? NONE.recoveryListener() : MicrometerRecoveryListener.of(r);
    }
    return recovery;
  }
}
