package io.sagaflow.spring.boot.internal;

import io.sagaflow.processor.ProcessorMetrics;
import io.sagaflow.recovery.RecoveryListener;

/**
 * Where the processors' and recovery's measurements go. The Micrometer binding is a bean only when
 * Micrometer is on the class path, so that nothing else refers to Micrometer's types.
 */
public interface MetricsBinding {
  /** Measures nothing. */
  MetricsBinding NONE = new MetricsBinding() {
    @Override
    public ProcessorMetrics processorMetrics() {
      return ProcessorMetrics.none();
    }

    @Override
    public RecoveryListener recoveryListener() {
      return new RecoveryListener() {};
    }
  };

  /** The processors' metrics. */
  ProcessorMetrics processorMetrics();

  /** The recovery pipeline's (and the saga consumers' dead letters') metrics; one shared instance. */
  RecoveryListener recoveryListener();
}
