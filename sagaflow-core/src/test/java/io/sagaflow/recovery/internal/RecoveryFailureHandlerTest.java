package io.sagaflow.recovery.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.recovery.DeadLetterHeaders;
import io.sagaflow.recovery.RecoveryHeaders;
import io.sagaflow.recovery.RecoveryHealth;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RecoveryPublishException;
import io.sagaflow.recovery.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.lang.reflect.Proxy;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.recovery.RecoveryListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Decision logic per attempt, tier and retryability, against an in-memory publisher. */
class RecoveryFailureHandlerTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static final class FakePublisher implements RecoveryPublisher {
    final List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
    /** Acks of publishAsync calls, completed by the test. */
    final List<CompletableFuture<Object>> acks = new ArrayList<>();
    Exception failWith;

    @Override
    public int partitionCount(String topic, Duration timeout) {
      return 4;
    }

    @Override
    public void publish(ProducerRecord<byte[], byte[]> record, Duration timeout) throws Exception {
      if (failWith != null) {
        throw failWith;
      }
      sent.add(record);
    }

    @Override
    public CompletionStage<?> publishAsync(ProducerRecord<byte[], byte[]> record, Duration timeout) {
      sent.add(record);
      CompletableFuture<Object> ack = new CompletableFuture<>();
      acks.add(ack);
      return ack;
    }

    @Override
    public void close() {}
  }

  /** A processor's non-transactional handle of a record (at-least-once). */
  static ProcessorRecord<?, ?> atLeastOnceHandle() {
    return (ProcessorRecord<?, ?>) Proxy.newProxyInstance(ProcessorRecord.class.getClassLoader(),
        new Class<?>[] {ProcessorRecord.class}, (proxy, method, args) -> switch (method.getName()) {
          case "transactional" -> false;
          case "toString" -> "handle";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  final FakePublisher publisher = new FakePublisher();
  final RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(3).withJitter(0)
      .withRetryable(e -> !(e instanceof IllegalArgumentException))
      .withRetryTopicDelays(List.of(Duration.ofSeconds(1), Duration.ofSeconds(10)));
  final RecoveryFailureHandler handler = new RecoveryFailureHandler(
      RecoveryOptions.of("unused:9092", "g1").withPolicy(policy).withClock(Clock.fixed(NOW, ZoneOffset.UTC)),
      publisher, null);

  static ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset, RecordHeaders headers) {
    return new ConsumerRecord<>(topic, partition, offset, 1234L, TimestampType.CREATE_TIME, 1, 1,
        new byte[] {7}, new byte[] {8}, headers, Optional.empty());
  }

  FailedRecord failed(ConsumerRecord<byte[], byte[]> r, Throwable e, int attempt) {
    return new FailedRecord(r, e, attempt, "g1");
  }

  @Test
  void retriesInPlaceBelowTheAttemptLimit() throws Exception {
    ConsumerRecord<byte[], byte[]> r = record("orders", 2, 10, new RecordHeaders());
    assertThat(handler.onFailure(failed(r, new IllegalStateException(), 1)))
        .isEqualTo(FailureDecision.retryAfter(Duration.ofMillis(100)));
    assertThat(handler.onFailure(failed(r, new IllegalStateException(), 2)))
        .isEqualTo(FailureDecision.retryAfter(Duration.ofMillis(200)));
    assertThat(publisher.sent).isEmpty();
  }

  @Test
  void exhaustedInPlaceGoesToTheFirstRetryTierThenTheNextThenTheDlt() throws Exception {
    ConsumerRecord<byte[], byte[]> r = record("orders", 2, 10, new RecordHeaders());
    assertThat(handler.onFailure(failed(r, new IllegalStateException("boom"), 3))).isEqualTo(FailureDecision.done());
    ProducerRecord<byte[], byte[]> tier1 = publisher.sent.get(0);
    assertThat(tier1.topic()).isEqualTo("orders-retry-1s");
    assertThat(tier1.partition()).isEqualTo(2);
    assertThat(HeaderCodec.lastInt(tier1.headers(), RecoveryHeaders.RETRY_TIER)).isEqualTo(1);
    assertThat(HeaderCodec.lastInt(tier1.headers(), RecoveryHeaders.ATTEMPTS)).isEqualTo(3);
    assertThat(HeaderCodec.lastLong(tier1.headers(), RecoveryHeaders.RETRY_DUE)).isEqualTo(NOW.toEpochMilli() + 1000);

    // Delivered from the retry topic: origin is kept, the next tier is 10 s.
    ConsumerRecord<byte[], byte[]> fromTier1 = record("orders-retry-1s", 2, 0, (RecordHeaders) tier1.headers());
    handler.onFailure(failed(fromTier1, new IllegalStateException("again"), 3));
    ProducerRecord<byte[], byte[]> tier2 = publisher.sent.get(1);
    assertThat(tier2.topic()).isEqualTo("orders-retry-10s");
    assertThat(HeaderCodec.lastString(tier2.headers(), RecoveryHeaders.ORIGIN_TOPIC)).isEqualTo("orders");
    assertThat(HeaderCodec.lastLong(tier2.headers(), RecoveryHeaders.ORIGIN_OFFSET)).isEqualTo(10L);
    assertThat(HeaderCodec.lastInt(tier2.headers(), RecoveryHeaders.ATTEMPTS)).isEqualTo(6);
    assertThat(HeaderCodec.lastLong(tier2.headers(), RecoveryHeaders.RETRY_DUE)).isEqualTo(NOW.toEpochMilli() + 10_000);
    assertThat(tier2.headers().headers(RecoveryHeaders.RETRY_TIER)).hasSize(1);

    ConsumerRecord<byte[], byte[]> fromTier2 = record("orders-retry-10s", 2, 0, (RecordHeaders) tier2.headers());
    handler.onFailure(failed(fromTier2, new IllegalStateException("last"), 3));
    ProducerRecord<byte[], byte[]> dlt = publisher.sent.get(2);
    assertThat(dlt.topic()).isEqualTo("orders-dlt");
    DeadLetterHeaders h = DeadLetterHeaders.read(dlt.headers());
    assertThat(h.originalTopic()).isEqualTo("orders");
    assertThat(h.originalPartition()).isEqualTo(2);
    assertThat(h.originalOffset()).isEqualTo(10L);
    assertThat(h.originalTimestamp()).isEqualTo(1234L);
    assertThat(h.attempts()).isEqualTo(9);
    assertThat(h.exceptionMessage()).isEqualTo("last");
    assertThat(dlt.headers().headers(RecoveryHeaders.DLT_EXCEPTION_MESSAGE)).hasSize(1);
  }

  @Test
  void nonRetryableAndPoisonPillsGoStraightToTheDlt() throws Exception {
    ConsumerRecord<byte[], byte[]> r = record("orders", 0, 5, new RecordHeaders());
    assertThat(handler.onFailure(failed(r, new IllegalArgumentException("bad"), 1))).isEqualTo(FailureDecision.done());
    assertThat(handler.onFailure(failed(r, new SerializationException("poison"), 1))).isEqualTo(FailureDecision.done());
    assertThat(publisher.sent).extracting(ProducerRecord::topic).containsExactly("orders-dlt", "orders-dlt");
    assertThat(HeaderCodec.lastInt(publisher.sent.get(0).headers(), RecoveryHeaders.ATTEMPTS)).isEqualTo(1);
  }

  @Test
  void noRetryTopicsMeansDltAfterInPlaceAttempts() throws Exception {
    RecoveryFailureHandler h = new RecoveryFailureHandler(RecoveryOptions.of("unused:9092", "g")
        .withPolicy(policy.withRetryTopicDelays(List.of())), publisher, null);
    h.onFailure(failed(record("orders", 0, 5, new RecordHeaders()), new IllegalStateException(), 3));
    assertThat(publisher.sent).extracting(ProducerRecord::topic).containsExactly("orders-dlt");
  }

  @Test
  void failedPublishThrowsAndMarksHealthDownUntilAPublishSucceeds() throws Exception {
    ConsumerRecord<byte[], byte[]> r = record("orders", 0, 5, new RecordHeaders());
    publisher.failWith = new org.apache.kafka.common.errors.TimeoutException("no broker");
    assertThatThrownBy(() -> handler.onFailure(failed(r, new IllegalArgumentException(), 1)))
        .isInstanceOf(RecoveryPublishException.class).hasMessageContaining("orders-dlt");
    assertThat(handler.health()).isEqualTo(RecoveryHealth.DOWN);
    publisher.failWith = null;
    assertThat(handler.onFailure(failed(r, new IllegalArgumentException(), 1))).isEqualTo(FailureDecision.done());
    assertThat(handler.health()).isEqualTo(RecoveryHealth.UP);
  }

  @Test
  void stackTraceHeaderIsCappedWithoutSplittingCharacters() throws Exception {
    RecoveryFailureHandler h = new RecoveryFailureHandler(RecoveryOptions.of("unused:9092", "g")
        .withPolicy(policy).withMaxStackTraceBytes(300), publisher, null);
    h.onFailure(failed(record("orders", 0, 5, new RecordHeaders()), new IllegalArgumentException("\u00e9".repeat(400)), 1));
    byte[] trace = publisher.sent.get(0).headers().lastHeader(RecoveryHeaders.DLT_EXCEPTION_STACKTRACE).value();
    assertThat(trace.length).isBetween(298, 300);
    assertThat(new String(trace, java.nio.charset.StandardCharsets.UTF_8))
        .startsWith("java.lang.IllegalArgumentException: \u00e9").doesNotContain("\ufffd")
        .endsWith("\t... [cut to fit RecoveryOptions.maxStackTraceBytes]\n");
  }

  @Test
  void byDefaultTheStackTraceHeaderIsCappedAt2KiB() throws Exception {
    RecoveryFailureHandler h = new RecoveryFailureHandler(RecoveryOptions.of("unused:9092", "g").withPolicy(policy),
        publisher, null);
    h.onFailure(failed(record("orders", 0, 5, new RecordHeaders()), new IllegalArgumentException("x".repeat(5000)), 1));
    byte[] trace = publisher.sent.get(0).headers().lastHeader(RecoveryHeaders.DLT_EXCEPTION_STACKTRACE).value();
    assertThat(trace.length).isBetween(2000, 2048);
    assertThat(RecoveryOptions.DEFAULT_MAX_STACK_TRACE_BYTES).isEqualTo(2048);
  }

  @Test
  void insideAProcessorTheCopyIsSentWithoutWaitingAndTheRecordIsDoneWhenItIsAcked() throws Exception {
    List<String> deadLettered = new ArrayList<>();
    RecoveryFailureHandler h = new RecoveryFailureHandler(RecoveryOptions.of("unused:9092", "g").withPolicy(policy)
        .withListener(new RecoveryListener() {
          @Override
          public void onDeadLettered(String originTopic, String deadLetterTopic, Throwable error) {
            deadLettered.add(deadLetterTopic);
          }
        }), publisher, null);
    ConsumerRecord<byte[], byte[]> r = record("orders", 1, 7, new RecordHeaders());

    FailureDecision d = h.onFailure(new FailedRecord(r, new IllegalArgumentException("bad"), 1, "g", atLeastOnceHandle()));

    assertThat(d).isInstanceOf(FailureDecision.DoneWhen.class);
    CompletableFuture<?> done = ((FailureDecision.DoneWhen) d).handedOff().toCompletableFuture();
    assertThat(publisher.sent).extracting(ProducerRecord::topic).containsExactly("orders-dlt");
    assertThat(DeadLetterHeaders.read(publisher.sent.get(0).headers()).originalOffset()).isEqualTo(7);
    assertThat(done).isNotDone();
    assertThat(deadLettered).isEmpty(); // not dead-lettered before the broker acked it

    publisher.acks.get(0).complete("metadata");
    assertThat(done).isCompleted();
    assertThat(deadLettered).containsExactly("orders-dlt");
  }

  @Test
  void aFailedAckFailsTheHandOffAndMarksHealthDownUntilALaterCopyIsAcked() throws Exception {
    ConsumerRecord<byte[], byte[]> r = record("orders", 0, 5, new RecordHeaders());
    FailedRecord f = new FailedRecord(r, new IllegalArgumentException("bad"), 1, "g1", atLeastOnceHandle());
    CompletableFuture<?> first = ((FailureDecision.DoneWhen) handler.onFailure(f)).handedOff().toCompletableFuture();
    CompletableFuture<?> second = ((FailureDecision.DoneWhen) handler.onFailure(f)).handedOff().toCompletableFuture();

    publisher.acks.get(0).completeExceptionally(new org.apache.kafka.common.errors.RecordTooLargeException("too big"));
    assertThatThrownBy(first::join).isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(RecoveryPublishException.class).hasMessageContaining("orders-0@5 to orders-dlt")
        .hasMessageContaining("too big");
    assertThat(handler.health()).isEqualTo(RecoveryHealth.DOWN);
    assertThat(handler.lastPublishFailure()).get().isInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);

    publisher.acks.get(1).complete("metadata");
    assertThat(second).isCompleted();
    assertThat(handler.health()).isEqualTo(RecoveryHealth.UP);
  }

  /** A record of an exactly-once processor: {@code send} hands the copy over and returns {@code future}. */
  static io.sagaflow.processor.ProcessorRecord<?, ?> transactionalRecord(
      java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata> future,
      List<ProducerRecord<byte[], byte[]>> sent) {
    return (io.sagaflow.processor.ProcessorRecord<?, ?>) java.lang.reflect.Proxy.newProxyInstance(
        RecoveryFailureHandlerTest.class.getClassLoader(), new Class<?>[] {io.sagaflow.processor.ProcessorRecord.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "transactional" -> true;
          case "send" -> {
            @SuppressWarnings("unchecked")
            ProducerRecord<byte[], byte[]> copy = (ProducerRecord<byte[], byte[]>) args[0];
            sent.add(copy);
            yield future;
          }
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void exactlyOnceHealthFollowsTheProcessorsVerdictOnTheCopy() throws Exception {
    ConsumerRecord<byte[], byte[]> r = record("orders", 1, 7, new RecordHeaders());
    List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
    var rejected = new java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>();
    assertThat(handler.onFailure(new FailedRecord(r, new IllegalArgumentException("bad"), 1, "g1",
        transactionalRecord(rejected, sent)))).isEqualTo(FailureDecision.done());
    assertThat(sent).singleElement().satisfies(c -> assertThat(c.topic()).isEqualTo("orders-dlt"));
    assertThat(publisher.sent).as("the processor writes it, not the handler's producer").isEmpty();
    assertThat(handler.health()).as("no verdict yet").isEqualTo(RecoveryHealth.UP);

    rejected.completeExceptionally(new org.apache.kafka.common.KafkaException("exactly-once: not written",
        new org.apache.kafka.common.errors.RecordTooLargeException("larger than the max message size")));
    assertThat(handler.health()).isEqualTo(RecoveryHealth.DOWN);
    assertThat(handler.lastPublishFailure()).get().extracting(Throwable::getMessage).asString()
        .startsWith("dead-letter topic orders-dlt rejects writes: RecordTooLargeException")
        .contains("max.message.bytes", "orders-1@7");

    var cancelled = new java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>();
    handler.onFailure(new FailedRecord(r, new IllegalArgumentException("bad"), 1, "g1", transactionalRecord(cancelled, sent)));
    cancelled.cancel(false);
    assertThat(handler.health()).as("a record given up says nothing about the topic").isEqualTo(RecoveryHealth.DOWN);

    var written = new java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>();
    handler.onFailure(new FailedRecord(r, new IllegalArgumentException("bad"), 1, "g1", transactionalRecord(written, sent)));
    written.complete(null);
    assertThat(handler.health()).isEqualTo(RecoveryHealth.UP);
    assertThat(handler.lastPublishFailure()).isEmpty();
  }
}
