package io.sagaflow.processor.internal;

import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;

/**
 * What the processor measures. The no-op instance is used unless a Micrometer registry is given;
 * only then is {@link MicrometerMetrics} (the one class that references Micrometer) loaded, so the
 * processor runs without Micrometer on the classpath.
 */
interface Metrics {
  Metrics NOOP = new Metrics() {};

  static Metrics create(Object registry, String groupId, LongSupplier inFlight, LongSupplier paused) {
    if (registry == null) {
      return NOOP;
    }
    return MicrometerMetrics.create(registry, groupId, inFlight, paused);
  }

  /** Whether handler latency should be measured at all (avoids nanoTime calls when off). */
  default boolean enabled() {
    return false;
  }

  default void processed(long startNanos, int count) {}

  default void failed() {}

  default void commitLatency(long nanos) {}

  default void lag(TopicPartition tp, long lag) {}

  default void removePartition(TopicPartition tp) {}

  default void close() {}
}
