package io.sagaflow.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class ProcessorOptionsTest {
  private static ProcessorOptions<String, String> base() {
    return ProcessorOptions.create("127.0.0.1:9092", "g", new StringDeserializer(), new StringDeserializer());
  }

  @Test
  void defaults() {
    ProcessorOptions<String, String> o = base().withTopics("t");
    assertThat(o.ordering()).isEqualTo(Ordering.KEY);
    assertThat(o.commitStrategy()).isEqualTo(CommitStrategy.PERIODIC_ASYNC);
    assertThat(o.commitInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.consumers()).isEqualTo(1);
    assertThat(o.notBefore()).isNull();
    assertThat(o.metrics()).isSameAs(ProcessorMetrics.none());
    assertThat(o.blockingHandlers()).isFalse();
    assertThat(o.withBlockingHandlers(true).blockingHandlers()).isTrue();
    assertThat(o.connectionTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.failFastConnect()).isFalse();
    assertThat(o.stallAlarmAfter()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void withMethodsReturnNewOptionsAndKeepTheOld() {
    ProcessorOptions<String, String> a = base().withTopics("t");
    ProcessorOptions<String, String> b = a.withMaxInFlight(7).withKafkaProperty("max.poll.records", 10);
    assertThat(a.maxInFlight()).isEqualTo(1000);
    assertThat(b.maxInFlight()).isEqualTo(7);
    assertThat(b.kafkaProperties()).containsEntry("max.poll.records", 10);
    assertThat(a.kafkaProperties()).isEmpty();
  }

  @Test
  void exactlyOnceRejectsWhatCannotWorkWithTransactions() {
    assertThat(base().withTopics("t").withExactlyOnce().isExactlyOnce()).isTrue();
    assertThat(base().isExactlyOnce()).isFalse();
    assertThatThrownBy(() -> base().withExactlyOnce().withCommitStrategy(CommitStrategy.MANUAL))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MANUAL cannot be combined");
    assertThatThrownBy(() -> base().withCommitStrategy(CommitStrategy.NONE).withExactlyOnce())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NONE cannot be combined");
    assertThatThrownBy(() -> base().withExactlyOnce().withCommitStrategy(CommitStrategy.AT_MOST_ONCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("AT_MOST_ONCE commits before handling").hasMessageContaining("choose one");
    assertThatThrownBy(() -> base().withCommitStrategy(CommitStrategy.AT_MOST_ONCE).withExactlyOnce())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AT_MOST_ONCE");
    assertThatThrownBy(() -> base().withProducerProperties(java.util.Map.of("transactional.id", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'transactional.id' is owned by the processor");
    assertThatThrownBy(() -> Processor.forPublisher(base().withTopics("t").withExactlyOnce()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly-once mode needs a handler");
    assertThatThrownBy(() -> ExactlyOnce.defaults().withMaxRecordsPerTransaction(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRecordsPerTransaction (0)");
    assertThatThrownBy(() -> ExactlyOnce.defaults().withTransactionTimeout(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 s");
  }

  @Test
  void badValuesNameTheProblem() {
    assertThatThrownBy(() -> base().withConnectionTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("connectionTimeout (PT0S) must be positive");
    assertThatThrownBy(() -> base().withStallAlarmAfter(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("stallAlarmAfter (PT-1S) must be positive");
    assertThatThrownBy(() -> base().withMaxInFlight(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxInFlight (0) must be positive");
    assertThatThrownBy(() -> base().withMaxInFlightPerPartition(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxInFlightPerPartition (-1)");
    assertThatThrownBy(() -> base().withMaxBufferedBytes(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBufferedBytes (0)");
    assertThatThrownBy(() -> base().withConsumers(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("consumers (0) must be positive");
    assertThatThrownBy(() -> base().withCommitInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("commitInterval (PT0S)");
    assertThatThrownBy(() -> base().withShutdownTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shutdownTimeout");
    assertThatThrownBy(() -> base().withGroupId(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("groupId");
    assertThatThrownBy(() -> base().withTopics("a").withTopicPattern(Pattern.compile("b.*")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("withTopics(...) or withTopicPattern(...)");
    assertThatThrownBy(() -> base().withKafkaProperty("group.id", "other"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'group.id' is owned by the processor");
    assertThatThrownBy(() -> base().withKafkaProperty("enable.auto.commit", true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enable.auto.commit");
    assertThatThrownBy(() -> base().withMetrics(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("ProcessorMetrics.none()");
    assertThatThrownBy(() -> base().withPublisherPrefetch(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("publisherPrefetch (0)");
    assertThatThrownBy(() -> base().withOffsetMetadataMaxChars(10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offsetMetadataMaxChars (10)");
    assertThatThrownBy(() -> FailureDecision.retryAfter(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be negative");
  }

  @Test
  void toStringHidesSecretsAmongTheRawProperties() {
    ProcessorOptions<String, String> o = base().withTopics("t")
        .withKafkaProperty("sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"s3cret-c\";")
        .withProducerProperties(java.util.Map.of("ssl.keystore.password", "s3cret-p"));
    assertThat(o.toString()).contains("groupId=g", "sasl.jaas.config", "ssl.keystore.password")
        .doesNotContain("s3cret");
  }

  @Test
  void anInstanceIdIsTextAndNotSetTwice() {
    assertThat(base().instanceId()).isNull();
    assertThat(base().withInstanceId("pod-1").instanceId()).isEqualTo("pod-1");
    assertThatThrownBy(() -> base().withInstanceId(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instanceId");
    assertThatThrownBy(() -> base().withKafkaProperty("group.instance.id", "x").withInstanceId("pod-1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use withInstanceId(...) only");
  }

  @Test
  void aProcessorNeedsTopics() {
    assertThatThrownBy(() -> Processor.forRecords(base(), r -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("withTopics(...) or withTopicPattern(...)");
  }

  @Test
  void publisherOnlyForPublisherProcessors() {
    Processor<String, String> p = Processor.forRecords(base().withTopics("t"), r -> {});
    assertThatThrownBy(p::publisher).isInstanceOf(IllegalStateException.class).hasMessageContaining("forPublisher");
    p.close(); // never started: nothing to do
    assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.CLOSED);
  }
}
