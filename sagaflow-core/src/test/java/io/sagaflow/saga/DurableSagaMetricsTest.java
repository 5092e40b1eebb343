package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.saga.internal.DurableSagaConsumer;
import io.sagaflow.tracing.Tracing;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Metrics and traces of a durable saga consumer against a real broker: runs by outcome (a run
 * resumed after a crash counts as resumed, not as started again), the resident and waiting
 * gauges, journal restore and transaction timers, effect latency, and run spans.
 */
@ExtendWith(LeakCheck.class)
class DurableSagaMetricsTest {
  private static final String ORDERS = "d-orders";
  private static final String DONE = "d-done";
  private static final String REPLIES = "d-replies";
  private static final String UNDO = "d-undo";

  /** Completes at once, fails after registering a compensation, or waits for a reply. */
  private static final Saga<String> SAGA = (action, ctx) -> {
    switch (action.payload()) {
      case "boom" -> {
        ctx.addCompensation(Effects.put(UNDO, "undo"));
        throw new IllegalStateException("boom");
      }
      case "wait" -> {
        ActionChannel<String> replies = ctx.actionChannel(REPLIES, String.class);
        ctx.put(DONE, "asked");
        ctx.put(DONE, ctx.take(replies).payload());
      }
      default -> ctx.put(DONE, action.payload());
    }
  };

  @Test
  void countsRunsByOutcomeAndResumedRunsApartAndMeasuresTheJournal() {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      for (String t : List.of(ORDERS, DONE, REPLIES, UNDO)) {
        kafka.createTopic(t, 1);
      }
      SagaConsumerOptions durable = SagaConsumerOptions.of("d-group").durable()
          .withDrainTimeout(Duration.ofSeconds(5));
      String waiting;
      SimpleMeterRegistry first = new SimpleMeterRegistry();
      RecordingTracing firstSpans = new RecordingTracing();
      try (SagaRuntime runtime = runtime(kafka, first, firstSpans)) {
        SagaConsumer consumer = runtime.consumer(ORDERS, String.class, SAGA, durable);
        await().atMost(Duration.ofSeconds(30)).until(consumer::isAssigned);
        runtime.start(ORDERS, "one");
        runtime.start(ORDERS, "two");
        runtime.start(ORDERS, "boom");
        waiting = runtime.start(ORDERS, "wait");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(runs(first, "completed")).isEqualTo(2);
          assertThat(runs(first, "failed")).isEqualTo(1);
          assertThat(runs(first, "dead.lettered")).isEqualTo(1);
          assertThat(gauge(first, "sagaflow.saga.durable.waiting")).isEqualTo(1);
        });
        assertThat(runs(first, "started")).isEqualTo(4);
        assertThat(runs(first, "resumed")).isZero();
        assertThat(runs(first, "compensated")).as("the failed run ran its compensation step").isEqualTo(1);
        assertThat(gauge(first, "sagaflow.saga.durable.resident")).as("the waiting run").isEqualTo(1);
        assertThat(first.get("sagaflow.saga.duration").tag("topic", ORDERS).tag("outcome", "completed").timer()
            .count()).isEqualTo(2);
        assertThat(first.get("sagaflow.saga.effect.latency").tag("topic", ORDERS).tag("kind", "put")
            .tag("outcome", "completed").timer().count()).as("one, two, asked, the undo step").isEqualTo(4);
        assertThat(first.get("sagaflow.saga.journal.restore").tag("topic", ORDERS).timer().count())
            .as("one partition assigned").isEqualTo(1);
        // At least: 3 tombstones, 4 puts (one, two, undo, asked), the dead letter, the waiting run's journal.
        // Looked up inside the wait: the loop thread registers this summary just after the transaction
        // timer, so it may not exist yet when the first transaction has only just completed.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          DistributionSummary batches = first.find("sagaflow.saga.journal.batch.records").tag("topic", ORDERS)
              .summary();
          return batches != null && batches.totalAmount() >= 9;
        });
        Timer transactions = first.get("sagaflow.saga.journal.transaction").tag("topic", ORDERS)
            .tag("outcome", "completed").timer();
        assertThat(transactions.count()).isPositive();
        assertThat(transactions.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
        // Nothing left to write once the journal shows every run's last state: no transaction is in
        // flight at the crash, whose abort would hold the journal back for the transaction timeout.
        await().atMost(Duration.ofSeconds(30)).until(() -> settled(kafka));
        assertThat(firstSpans.runs).containsOnly("saga " + ORDERS).hasSize(4);
        assertThat(firstSpans.effects).contains("put", "actionChannel", "take");
        assertThat(firstSpans.sends).as("durable puts get producer spans").contains("put " + DONE, "put " + UNDO);
        ((DurableSagaConsumer<?>) consumer).halt(); // a crash: the waiting run is not ended
        assertThat(first.find("sagaflow.saga.durable.resident").gauge()).as("removed when it stops").isNull();
      }

      SimpleMeterRegistry second = new SimpleMeterRegistry();
      RecordingTracing secondSpans = new RecordingTracing();
      try (SagaRuntime runtime = runtime(kafka, second, secondSpans);
          SagaConsumer consumer = runtime.consumer(ORDERS, String.class, SAGA, durable)) {
        // The restore leaves the waiting run evicted: it waits, and is not resident until its reply comes.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(((DurableSagaConsumer<?>) consumer).evictedSagas()).isEqualTo(1);
          assertThat(gauge(second, "sagaflow.saga.durable.waiting")).as("evicted runs wait too").isEqualTo(1);
        });
        assertThat(gauge(second, "sagaflow.saga.durable.resident")).isZero();
        assertThat(second.get("sagaflow.saga.journal.restore").tag("topic", ORDERS).timer().count()).isEqualTo(1);
        assertThat(runs(second, "resumed")).as("not rebuilt yet").isZero();
        assertThat(secondSpans.runs).as("its restore's probe has no span").isEmpty();
        reply(kafka, runtime, waiting);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(runs(second, "resumed")).isEqualTo(1);
          assertThat(runs(second, "completed")).isEqualTo(1);
          assertThat(gauge(second, "sagaflow.saga.durable.resident")).isZero();
          assertThat(gauge(second, "sagaflow.saga.durable.waiting")).isZero();
        });
        assertThat(runs(second, "started")).as("a resumed run is not started again").isZero();
        assertThat(secondSpans.runs).containsExactly("saga " + ORDERS + " resumed");
        assertThat(runs(second, "failed")).isZero();
        assertThat(consumer.deadLetters()).isZero();
      }
    }
  }

  private static SagaRuntime runtime(EmbeddedKafka kafka, SimpleMeterRegistry registry, Tracing tracing) {
    return Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers())
        .withMetrics(MicrometerSagaMetrics.of(registry)).withTracing(tracing));
  }

  /** Whether the committed journal holds the three ended runs' tombstones and the waiting run's pending take. */
  private static boolean settled(EmbeddedKafka kafka) {
    List<ConsumerRecord<byte[], byte[]>> journal = DurableTestKit.committed(kafka, "d-group" + DurableOptions.JOURNAL_SUFFIX);
    long tombstones = journal.stream().filter(r -> r.value() == null).count();
    boolean waits = journal.stream().anyMatch(r -> r.value() != null
        && new String(r.value(), StandardCharsets.UTF_8).matches("(?s).*\\{\"id\":\"[^\"]*\",\"k\":\"take\",[^}]*\"s\":\"p\".*"));
    return tombstones == 3 && waits;
  }

  private static void reply(EmbeddedKafka kafka, SagaRuntime runtime, String transactionId) {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(REPLIES, null,
          runtime.codec().encodeValue(Action.of(REPLIES, transactionId, "go"))));
    }
  }

  private static double runs(SimpleMeterRegistry registry, String outcome) {
    Counter c = registry.find("sagaflow.saga.runs").tag("topic", ORDERS).tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    Gauge g = registry.find(name).tag("topic", ORDERS).tag("group", "d-group").gauge();
    return g == null ? -1 : g.value();
  }

  /** Records the names of run spans (" resumed" appended for a resumed run), effect kinds and sends. */
  private static final class RecordingTracing implements Tracing {
    final List<String> runs = new CopyOnWriteArrayList<>();
    final List<String> effects = new CopyOnWriteArrayList<>();
    final List<String> sends = new CopyOnWriteArrayList<>();

    @Override
    public Span record(String groupId, ConsumerRecord<byte[], byte[]> record) {
      return Span.NOOP;
    }

    @Override
    public Span send(String kind, ProducerRecord<byte[], byte[]> record) {
      sends.add(kind + " " + record.topic());
      return Span.NOOP;
    }

    @Override
    public Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record) {
      runs.add("saga " + topic);
      return Span.NOOP;
    }

    @Override
    public Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record, boolean resumed) {
      runs.add("saga " + topic + (resumed ? " resumed" : ""));
      return Span.NOOP;
    }

    @Override
    public Span effect(Span run, String kind, String description) {
      effects.add(kind);
      return Span.NOOP;
    }
  }
}
