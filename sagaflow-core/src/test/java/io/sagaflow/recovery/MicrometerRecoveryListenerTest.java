package io.sagaflow.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sagaflow.processor.FailedRecord;
import io.sagaflow.recovery.internal.HeaderCodec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class MicrometerRecoveryListenerTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void countsRetriesDeadLettersAndTheOldestWaitingRetry() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MicrometerRecoveryListener metrics = MicrometerRecoveryListener.of(registry, Clock.fixed(NOW, ZoneOffset.UTC));
    // In-place retry decisions need no broker: the handler returns before publishing.
    try (RecoveryHandler h = Recovery.handler(RecoveryOptions.of("127.0.0.1:1", "g").withListener(metrics))) {
      h.onFailure(new FailedRecord(new ConsumerRecord<>("orders", 0, 0, null, null), new IllegalStateException(), 1, "g"));
      h.onFailure(new FailedRecord(new ConsumerRecord<>("orders", 0, 0, null, null), new IllegalStateException(), 2, "g"));
    }
    assertThat(registry.get("sagaflow.recovery.inplace.retries").tag("topic", "orders").counter().count()).isEqualTo(2);

    metrics.onRetryScheduled("orders", 2, "orders-retry-10s");
    metrics.onDeadLettered("orders", "orders-dlt", new IllegalArgumentException());
    metrics.onReplayed("orders-dlt", "orders");
    assertThat(registry.get("sagaflow.recovery.retries").tag("tier", "2").counter().count()).isEqualTo(1);
    assertThat(registry.get("sagaflow.recovery.dead.lettered").tag("exception", "IllegalArgumentException")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get("sagaflow.recovery.replayed").counter().count()).isEqualTo(1);

    var gauge = registry.get("sagaflow.recovery.retry.oldest.waiting.seconds").gauge();
    assertThat(gauge.value()).isZero();
    ConsumerRecord<byte[], byte[]> waiting = new ConsumerRecord<>("orders-retry-1m", 1, 0,
        NOW.minusSeconds(30).toEpochMilli(), org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, null,
        null, new org.apache.kafka.common.header.internals.RecordHeaders().add(RecoveryHeaders.RETRY_DUE,
            HeaderCodec.longBytes(NOW.plusSeconds(30).toEpochMilli())), java.util.Optional.empty());
    assertThat(Recovery.retryDueTime(metrics).apply(waiting)).isEqualTo(NOW.plusSeconds(30));
    assertThat(gauge.value()).isEqualTo(30.0);
  }
}
