package io.sagaflow.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.sagaflow.tracing.Tracing;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sagaflow's {@link Tracing} on the OpenTelemetry API: no agent needed. Pass it to {@code
 * ProcessorOptions.withTracing} and {@code SagaOptions.withTracing}.
 *
 * <pre>{@code
 * OpenTelemetry otel = ...; // your SDK, or GlobalOpenTelemetry.get()
 * Tracing tracing = SagaflowTelemetry.create(otel);
 * SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults().withCluster(cluster).withTracing(tracing));
 * Processor.forRecords(options.withTracing(tracing), handler).start();
 * }</pre>
 *
 * <p>Spans, following OpenTelemetry's messaging semantic conventions for Kafka ({@code
 * messaging.system=kafka}, {@code messaging.destination.name}, {@code messaging.operation.type},
 * {@code messaging.kafka.message.key}, {@code messaging.kafka.offset}, {@code
 * messaging.consumer.group.name}):
 *
 * <ul>
 *   <li>{@code process <topic>} (CONSUMER), per record a Processor handles; its parent is the
 *       context of the record's {@code traceparent} header;
 *   <li>{@code send <topic>} (PRODUCER), per record a handler sends, a saga puts, or recovery
 *       writes to a retry or dead-letter topic (attribute {@code sagaflow.send.kind}); the record
 *       carries its context in {@code traceparent}, replacing the one it copied from its trigger;
 *   <li>{@code saga <topic>} (INTERNAL), per saga run, child of the record's span, with a child
 *       span per effect named after its kind ({@code put}, {@code take}, {@code race}...). A
 *       durable saga consumer starts one per run too, its parent the context of the input record's
 *       headers; a durable run rebuilt from its journal after a crash or a rebalance gets a new
 *       {@code saga <topic>} span in the same trace, with attribute {@code sagaflow.saga.resumed} =
 *       {@code true}, whose effect spans are those replayed and those performed after the replay.
 * </ul>
 *
 * <p>Headers are written and read with the propagators of the {@code OpenTelemetry} instance
 * (W3C trace context, when it is configured so).
 */
public final class SagaflowTelemetry implements Tracing {
  /** The instrumentation scope name of Sagaflow's spans. */
  public static final String INSTRUMENTATION_NAME = "io.sagaflow";

  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
  static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> KEY = AttributeKey.stringKey("messaging.kafka.message.key");
  static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
  static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
  static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
  static final AttributeKey<String> SEND_KIND = AttributeKey.stringKey("sagaflow.send.kind");
  static final AttributeKey<String> TRANSACTION = AttributeKey.stringKey("sagaflow.saga.transaction_id");
  static final AttributeKey<String> SAGA_TOPIC = AttributeKey.stringKey("sagaflow.saga.topic");
  static final AttributeKey<String> EFFECT = AttributeKey.stringKey("sagaflow.effect");
  static final AttributeKey<Boolean> RESUMED = AttributeKey.booleanKey("sagaflow.saga.resumed");

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private SagaflowTelemetry(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME);
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** Tracing on {@code openTelemetry}: its tracer provider and its propagators. */
  public static SagaflowTelemetry create(OpenTelemetry openTelemetry) {
    return new SagaflowTelemetry(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  @Override
  public Tracing.Span record(String groupId, ConsumerRecord<byte[], byte[]> record) {
    Context parent = propagator.extract(Context.current(), record.headers(), KafkaHeaders.GETTER);
    SpanBuilder span = tracer.spanBuilder("process " + record.topic()).setParent(parent)
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute(SYSTEM, "kafka")
        .setAttribute(DESTINATION, record.topic())
        .setAttribute(PARTITION, Integer.toString(record.partition()))
        .setAttribute(OPERATION_TYPE, "process")
        .setAttribute(OPERATION_NAME, "process")
        .setAttribute(OFFSET, record.offset())
        .setAttribute(GROUP, groupId);
    key(span, record.key());
    if (record.value() != null) {
      span.setAttribute(BODY_SIZE, (long) record.value().length);
    }
    return OtelSpan.start(span, parent);
  }

  @Override
  public Tracing.Span send(String kind, ProducerRecord<byte[], byte[]> record) {
    Context parent = Context.current();
    SpanBuilder span = tracer.spanBuilder("send " + record.topic()).setParent(parent)
        .setSpanKind(SpanKind.PRODUCER)
        .setAttribute(SYSTEM, "kafka")
        .setAttribute(DESTINATION, record.topic())
        .setAttribute(OPERATION_TYPE, "send")
        .setAttribute(OPERATION_NAME, "send")
        .setAttribute(SEND_KIND, kind);
    if (record.partition() != null) {
      span.setAttribute(PARTITION, record.partition().toString());
    }
    key(span, record.key());
    OtelSpan started = OtelSpan.start(span, parent);
    propagator.inject(started.context, record.headers(), KafkaHeaders.SETTER);
    return started;
  }

  @Override
  public Tracing.Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record) {
    return sagaRun(topic, transactionId, record, false);
  }

  @Override
  public Tracing.Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record,
      boolean resumed) {
    Context parent = Context.current();
    if (!io.opentelemetry.api.trace.Span.fromContext(parent).getSpanContext().isValid() && record != null) {
      parent = propagator.extract(parent, record.headers(), KafkaHeaders.GETTER);
    }
    SpanBuilder span = tracer.spanBuilder("saga " + topic).setParent(parent).setSpanKind(SpanKind.INTERNAL)
        .setAttribute(SAGA_TOPIC, topic)
        .setAttribute(TRANSACTION, transactionId);
    if (resumed) {
      span.setAttribute(RESUMED, true);
    }
    return OtelSpan.start(span, parent);
  }

  @Override
  public Tracing.Span effect(Tracing.Span run, String kind, String description) {
    Context parent = Context.current();
    if (!io.opentelemetry.api.trace.Span.fromContext(parent).getSpanContext().isValid() && run instanceof OtelSpan runSpan) {
      parent = runSpan.context; // a branch of an all or a race, on a thread of its own
    }
    SpanBuilder span = tracer.spanBuilder(kind).setParent(parent).setSpanKind(SpanKind.INTERNAL)
        .setAttribute(EFFECT, description);
    return OtelSpan.start(span, parent);
  }

  /** The key as a string attribute, when it is UTF-8 text (as the conventions ask); else none. */
  private static void key(SpanBuilder span, byte[] key) {
    if (key == null) {
      return;
    }
    try {
      span.setAttribute(KEY, StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(key)).toString());
    } catch (CharacterCodingException e) {
      // Binary key: the conventions leave it out.
    }
  }

  @Override
  public String toString() {
    return "SagaflowTelemetry[" + propagator + "]";
  }

  /** An OpenTelemetry span and the context that holds it. */
  static final class OtelSpan implements Tracing.Span {
    final io.opentelemetry.api.trace.Span span; // Tracing.Span is this class's own type: the full name
    final Context context;
    private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

    private OtelSpan(io.opentelemetry.api.trace.Span span, Context context) {
      this.span = span;
      this.context = context;
    }

    static OtelSpan start(SpanBuilder builder, Context parent) {
      io.opentelemetry.api.trace.Span span = builder.startSpan();
      return new OtelSpan(span, parent.with(span));
    }

    @Override
    public Tracing.Scope attach() {
      io.opentelemetry.context.Scope scope = context.makeCurrent();
      return scope::close;
    }

    @Override
    public void end(Throwable error) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      if (error != null) {
        span.recordException(error);
        span.setStatus(StatusCode.ERROR, error.toString());
      }
      span.end();
    }
  }
}
