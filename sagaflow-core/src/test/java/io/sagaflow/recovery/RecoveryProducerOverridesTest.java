package io.sagaflow.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.kafka.ClusterOptions;
import org.junit.jupiter.api.Test;

/** The settings of the recovery producer: our defaults, the cluster's choices, the user's overrides. */
class RecoveryProducerOverridesTest {

  @Test
  void copiesAreBatchedAndNotCompressedByDefault() {
    var p = Recovery.producerOverrides(RecoveryOptions.of("localhost:9092", "g"));

    // Like the processor's producer: a second codec in the JVM would slow every producer's sends.
    assertThat(p).doesNotContainKey("compression.type").containsEntry("linger.ms", 100)
        .containsEntry("batch.size", 64 * 1024).containsEntry("max.block.ms", 30_000L);
  }

  @Test
  void theUsersProducerPropertiesWin() {
    var p = Recovery.producerOverrides(RecoveryOptions.of("localhost:9092", "g")
        .withProducerProperty("compression.type", "lz4").withProducerProperty("linger.ms", 0));

    assertThat(p).containsEntry("compression.type", "lz4").containsEntry("linger.ms", 0);
  }

  @Test
  void aCodecChosenForTheWholeClusterIsKept() {
    ClusterOptions cluster = ClusterOptions.of("localhost:9092").withClientOverride("compression.type", "zstd");
    var p = Recovery.producerOverrides(RecoveryOptions.of(cluster, "g"));

    assertThat(p).doesNotContainKey("compression.type");
  }
}
