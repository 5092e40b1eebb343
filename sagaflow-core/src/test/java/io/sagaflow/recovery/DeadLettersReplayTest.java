package io.sagaflow.recovery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.FailedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Listing and replaying dead letters against a real broker, including interrupted replays. */
@ExtendWith(LeakCheck.class)
class DeadLettersReplayTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  /** Dead-letters {@code n} records of {@code topic} (3 partitions): even ones with IllegalArgumentException. */
  static void deadLetter(String topic, int n) throws Exception {
    kafka.createTopic(topic, 3);
    RecoveryOptions options = RecoveryOptions.of(kafka.bootstrapServers(), "svc")
        .withPolicy(RetryPolicy.defaults().withRetryable(e -> false));
    try (RecoveryHandler handler = Recovery.handler(options)) {
      for (int i = 0; i < n; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add("app", ("h" + i).getBytes(UTF_8));
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, i % 3, 100 + i, 1000L + i,
            TimestampType.CREATE_TIME, 1, 1, ("k" + i).getBytes(UTF_8), ("v" + i).getBytes(UTF_8), h,
            java.util.Optional.empty());
        Throwable error = i % 2 == 0 ? new IllegalArgumentException("bad " + i) : new java.io.UncheckedIOException(
            new java.io.IOException("io " + i));
        handler.onFailure(new FailedRecord(r, error, 1, "svc"));
      }
    }
  }

  DeadLetters dlq() {
    return DeadLetters.create(DeadLettersOptions.of(kafka.bootstrapServers()).withTimeout(Duration.ofSeconds(20)));
  }

  @Test
  void replayMovesEveryDeadLetterBackExactlyOnceEvenWhenInterrupted() throws Exception {
    int n = 20;
    deadLetter("inv", n);
    DeadLetters dlq = dlq();
    AtomicInteger replayed = new AtomicInteger();
    assertThatThrownBy(() -> dlq.replay("inv-dlt", DeadLetterFilter.all(), ReplayTarget.original(), false,
        (letter, outcome, soFar) -> {
          if (outcome == ReplayListener.Outcome.REPLAYED && replayed.incrementAndGet() == 7) {
            throw new IllegalStateException("operator pressed ctrl-c");
          }
        })).hasMessageContaining("ctrl-c");

    ReplaySummary second = dlq.replay("inv-dlt", DeadLetterFilter.all(), ReplayTarget.original(), false,
        (letter, outcome, soFar) -> {});
    assertThat(second).isEqualTo(new ReplaySummary(n, n, n - 7, 7, 0, false));
    ReplaySummary third = dlq.replay("inv-dlt", DeadLetterFilter.all(), ReplayTarget.original(), false,
        (letter, outcome, soFar) -> {});
    assertThat(third).isEqualTo(new ReplaySummary(n, n, 0, n, 0, false));

    // The origin topic now holds exactly one copy of each dead letter, in its original partition.
    List<ConsumerRecord<byte[], byte[]>> copies = TestHarness.readAll(kafka.bootstrapServers(), "inv", n);
    assertThat(copies).hasSize(n);
    Map<String, ConsumerRecord<byte[], byte[]>> byFrom = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> c : copies) {
      String from = new String(c.headers().lastHeader(RecoveryHeaders.REPLAYED_FROM).value(), UTF_8);
      assertThat(byFrom.put(from, c)).as("duplicate copy of " + from).isNull();
    }
    for (DeadLetter d : dlq.list("inv-dlt", DeadLetterFilter.all())) {
      ConsumerRecord<byte[], byte[]> c = byFrom.get(d.coordinates());
      assertThat(c).as("copy of " + d.coordinates()).isNotNull();
      assertThat(c.key()).isEqualTo(d.key());
      assertThat(c.value()).isEqualTo(d.value());
      assertThat(c.partition()).isEqualTo(d.info().originalPartition());
      assertThat(c.headers().lastHeader("app").value()).isEqualTo(d.headers().lastHeader("app").value());
    }
  }

  @Test
  void filtersDryRunListShowAndNamedTarget() throws Exception {
    deadLetter("ship", 10);
    DeadLetters dlq = dlq();
    List<DeadLetter> all = dlq.list("ship-dlt", DeadLetterFilter.all());
    assertThat(all).hasSize(10);
    assertThat(dlq.list("ship-dlt", DeadLetterFilter.parse("exception=IllegalArgument"))).hasSize(5)
        .allSatisfy(d -> assertThat(d.info().exceptionClass()).isEqualTo(IllegalArgumentException.class.getName()));
    assertThat(dlq.list("ship-dlt", DeadLetterFilter.parse("exception=java.io.UncheckedIOException"))).hasSize(5);
    assertThat(dlq.list("ship-dlt", DeadLetterFilter.parse("key=k3"))).singleElement()
        .satisfies(d -> assertThat(d.info().exceptionMessage()).isEqualTo("java.io.IOException: io 3"));
    assertThat(dlq.list("ship-dlt", DeadLetterFilter.parse("key=k"))).isEmpty();
    DeadLetter first = all.get(0);
    assertThat(dlq.show("ship-dlt", first.partition(), first.offset())).get()
        .extracting(DeadLetter::coordinates).isEqualTo(first.coordinates());
    assertThat(dlq.show("ship-dlt", 0, 999)).isEmpty();
    assertThatThrownBy(() -> DeadLetterFilter.parse("color=red")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exception=");

    List<ReplayListener.Outcome> outcomes = new ArrayList<>();
    ReplaySummary dry = dlq.replay("ship-dlt", DeadLetterFilter.parse("exception=IllegalArgument"),
        ReplayTarget.parse("ship-fixed"), true, (l, o, s) -> outcomes.add(o));
    assertThat(dry).isEqualTo(new ReplaySummary(10, 5, 5, 0, 0, true));
    assertThat(outcomes).containsOnly(ReplayListener.Outcome.WOULD_REPLAY);

    kafka.createTopic("ship-fixed", 1);
    ReplaySummary real = dlq.replay("ship-dlt", DeadLetterFilter.parse("exception=IllegalArgument"),
        ReplayTarget.parse("ship-fixed"), false, (l, o, s) -> {});
    assertThat(real).isEqualTo(new ReplaySummary(10, 5, 5, 0, 0, false));
    // A wider filter replays only what the first one did not.
    ReplaySummary rest = dlq.replay("ship-dlt", DeadLetterFilter.all(), ReplayTarget.parse("ship-fixed"), false,
        (l, o, s) -> {});
    assertThat(rest).isEqualTo(new ReplaySummary(10, 10, 5, 5, 0, false));
    assertThat(dlq.replay("ship-dlt", DeadLetterFilter.all(), ReplayTarget.parse("ship-fixed"), true,
        (l, o, s) -> {})).isEqualTo(new ReplaySummary(10, 10, 0, 10, 0, true));
    assertThat(TestHarness.readAll(kafka.bootstrapServers(), "ship-fixed", 10)).hasSize(10);
  }
}
