package io.sagaflow.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The stalled-records gauge of the Micrometer back end. */
class MicrometerStalledRecordsTest {
  private static final ProcessorMetrics.Gauges GAUGES = new ProcessorMetrics.Gauges() {
    @Override
    public String groupId() {
      return "g";
    }

    @Override
    public long inFlight() {
      return 0;
    }

    @Override
    public long pausedPartitions() {
      return 0;
    }
  };

  @Test
  void theGaugeFollowsTheCountAndLeavesWithTheProcessor() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ProcessorMetrics.Recorder r = MicrometerProcessorMetrics.of(registry).open(GAUGES);
    assertThat(registry.get("sagaflow.processor.stalled.records").tag("group", "g").gauge().value()).isZero();
    r.stalledRecords(2);
    assertThat(registry.get("sagaflow.processor.stalled.records").gauge().value()).isEqualTo(2.0);
    r.stalledRecords(1);
    assertThat(registry.get("sagaflow.processor.stalled.records").gauge().value()).isEqualTo(1.0);
    r.close();
    assertThat(registry.find("sagaflow.processor.stalled.records").gauge()).isNull();
  }
}
