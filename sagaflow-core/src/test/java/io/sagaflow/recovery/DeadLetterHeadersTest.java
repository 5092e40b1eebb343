package io.sagaflow.recovery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DeadLetterHeadersTest {

  @Test
  void readsADeadLetterWrittenBySpringWithoutSagaflowHeaders() {
    RecordHeaders h = new RecordHeaders();
    h.add("kafka_dlt-original-topic", "orders".getBytes(UTF_8));
    h.add("kafka_dlt-original-partition", ByteBuffer.allocate(4).putInt(3).array());
    h.add("kafka_dlt-original-offset", ByteBuffer.allocate(8).putLong(42L).array());
    h.add("kafka_dlt-original-timestamp", ByteBuffer.allocate(8).putLong(1_700_000_000_000L).array());
    h.add("kafka_dlt-original-timestamp-type", "CreateTime".getBytes(UTF_8));
    h.add("kafka_dlt-exception-fqcn", "org.springframework.kafka.listener.ListenerExecutionFailedException".getBytes(UTF_8));
    h.add("kafka_dlt-exception-message", "boom".getBytes(UTF_8));
    DeadLetterHeaders d = DeadLetterHeaders.read(h);
    assertThat(d.originalTopic()).isEqualTo("orders");
    assertThat(d.originalPartition()).isEqualTo(3);
    assertThat(d.originalOffset()).isEqualTo(42L);
    assertThat(d.originalTimestamp()).isEqualTo(1_700_000_000_000L);
    assertThat(d.originalTimestampType()).isEqualTo("CreateTime");
    assertThat(d.exceptionClass()).endsWith("ListenerExecutionFailedException");
    assertThat(d.exceptionMessage()).isEqualTo("boom");
    assertThat(d.consumerGroup()).isNull();
    assertThat(d.stackTrace()).isNull();
    assertThat(d.attempts()).isZero();
    assertThat(d.failedAt()).isNull();
    assertThat(d.keyFailure()).isFalse();
  }

  @Test
  void readsTheLastValueAndRejectsWrongSizesNamingTheHeader() {
    RecordHeaders h = new RecordHeaders();
    h.add("kafka_dlt-original-topic", "old".getBytes(UTF_8));
    h.add("kafka_dlt-original-topic", "new".getBytes(UTF_8));
    assertThat(DeadLetterHeaders.read(h).originalTopic()).isEqualTo("new");
    h.add("kafka_dlt-original-offset", new byte[] {1, 2});
    assertThatThrownBy(() -> DeadLetterHeaders.read(h)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kafka_dlt-original-offset");
  }
}
