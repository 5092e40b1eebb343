package io.sagaflow.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Processor's spans on a real broker: the consumer span continues the trace of the record's
 * {@code traceparent}; a handler's send and a dead-letter copy are producer spans under it, and
 * the sent record carries the send span's context.
 */
@ExtendWith(LeakCheck.class)
class ProcessorTraceTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void recordSpansContinueTheUpstreamTraceAndParentSendsAndDeadLetters() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
        EmbeddedKafka kafka = EmbeddedKafka.start()) {
      OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
      SagaflowTelemetry tracing = SagaflowTelemetry.create(otel);
      kafka.createTopic("in", 1);
      kafka.createTopic("out", 1);
      kafka.createTopic("in-dlt", 1);

      Span upstream = otel.getTracer("test").spanBuilder("upstream").startSpan();
      upstream.end();
      RecordHeaders headers = new RecordHeaders();
      otel.getPropagators().getTextMapPropagator().inject(Context.root().with(upstream), headers,
          (h, k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("in", 0, "k1", "good", headers)).get();
        producer.send(new ProducerRecord<>("in", 0, "k2", "bad", headers)).get();
      }

      RecoveryOptions recoveryOptions = RecoveryOptions.of(kafka.bootstrapServers(), "traced")
          .withPolicy(RetryPolicy.defaults().withInPlaceAttempts(1).withRetryTopicDelays(List.of()))
          .withTracing(tracing);
      try (RecoveryHandler recovery = Recovery.handler(recoveryOptions);
          Processor<String, String> processor = Processor.forRecords(ProcessorOptions
              .create(kafka.bootstrapServers(), "traced", new StringDeserializer(), new StringDeserializer())
              .withTopics("in").withKafkaProperty("auto.offset.reset", "earliest")
              .withFailureHandler(recovery).withTracing(tracing), record -> {
                if (record.value().equals("bad")) {
                  throw new IllegalArgumentException("bad record");
                }
                record.send("out", record.key(), record.value().toUpperCase());
              })) {
        processor.start();
        await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().stream()
            .filter(s -> s.getName().equals("process in")).count() == 2);
      }

      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData good = processSpan(all, "k1");
      SpanData bad = processSpan(all, "k2");
      assertThat(good.getTraceId()).isEqualTo(upstream.getSpanContext().getTraceId());
      assertThat(good.getParentSpanId()).isEqualTo(upstream.getSpanContext().getSpanId());
      assertThat(good.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(good.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(bad.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);

      SpanData sendOut = only(all, "send out");
      assertThat(sendOut.getParentSpanId()).isEqualTo(good.getSpanId());
      assertThat(sendOut.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(sendOut.getAttributes().get(AttributeKey.stringKey("sagaflow.send.kind"))).isEqualTo("send");
      SpanData deadLetter = only(all, "send in-dlt");
      assertThat(deadLetter.getParentSpanId()).isEqualTo(bad.getSpanId());
      assertThat(deadLetter.getAttributes().get(AttributeKey.stringKey("sagaflow.send.kind")))
          .isEqualTo("dead-letter");

      // The written records carry their own send span's context, not the upstream one they were built from.
      assertThat(lastTraceparent(kafka, "out")).isEqualTo(traceparent(sendOut));
      assertThat(lastTraceparent(kafka, "in-dlt")).isEqualTo(traceparent(deadLetter));
    }
  }

  private static SpanData processSpan(List<SpanData> all, String key) {
    return all.stream().filter(s -> s.getName().equals("process in"))
        .filter(s -> key.equals(s.getAttributes().get(AttributeKey.stringKey("messaging.kafka.message.key"))))
        .findFirst().orElseThrow();
  }

  private static SpanData only(List<SpanData> all, String name) {
    List<SpanData> named = all.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).as(name).hasSize(1);
    return named.get(0);
  }

  private static String traceparent(SpanData span) {
    return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getSpanContext().getTraceFlags().asHex();
  }

  private static String lastTraceparent(EmbeddedKafka kafka, String topic) {
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
        Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var tp = new org.apache.kafka.common.TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> read = new java.util.ArrayList<>();
      await().atMost(WAIT).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(read::add);
        return !read.isEmpty();
      });
      assertThat(read).as("records on %s", topic).hasSize(1);
      var record = read.get(0);
      assertThat(record.headers().headers("traceparent")).as("one traceparent").hasSize(1);
      return new String(record.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8);
    }
  }
}
