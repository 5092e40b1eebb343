package io.sagaflow.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * The run span of a durable saga run rebuilt from its journal (no broker: the durable consumer
 * calls {@code sagaRun(..., resumed)} with the input record rebuilt from the journal): a new span
 * in the trace of the record's headers, marked resumed; a first run is not marked.
 */
class ResumedRunSpanTest {

  @Test
  void aResumedRunIsANewSpanInTheInputRecordsTraceMarkedResumed() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()) {
      OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
      SagaflowTelemetry tracing = SagaflowTelemetry.create(otel);
      Span upstream = otel.getTracer("test").spanBuilder("upstream").startSpan();
      upstream.end();
      RecordHeaders headers = new RecordHeaders();
      otel.getPropagators().getTextMapPropagator().inject(Context.root().with(upstream), headers,
          (h, k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
      ConsumerRecord<byte[], byte[]> input = new ConsumerRecord<>("ORDER", 0, 7, 0L, TimestampType.CREATE_TIME, -1, -1,
          null, new byte[0], headers, Optional.empty());

      tracing.sagaRun("ORDER", "tx-1", input, false).end(null);
      tracing.sagaRun("ORDER", "tx-1", input, true).end(null);

      AttributeKey<Boolean> resumed = AttributeKey.booleanKey("sagaflow.saga.resumed");
      var runs = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("saga ORDER")).toList();
      assertThat(runs).hasSize(2);
      assertThat(runs).extracting(SpanData::getTraceId).containsOnly(upstream.getSpanContext().getTraceId());
      assertThat(runs).extracting(SpanData::getParentSpanId).containsOnly(upstream.getSpanContext().getSpanId());
      assertThat(runs.get(0).getAttributes().get(resumed)).isNull();
      assertThat(runs.get(1).getAttributes().get(resumed)).isTrue();
      assertThat(runs.get(1).getSpanId()).isNotEqualTo(runs.get(0).getSpanId());
    }
  }
}
