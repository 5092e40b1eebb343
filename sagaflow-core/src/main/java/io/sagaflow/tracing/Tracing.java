package io.sagaflow.tracing;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Hooks for distributed tracing, called by the Processor and the saga runtime. Sagaflow's core
 * does not depend on any tracing library: the {@code sagaflow-opentelemetry} module implements this
 * interface on the OpenTelemetry API ({@code SagaflowTelemetry.create(openTelemetry)}). The default,
 * {@link #none()}, traces nothing.
 *
 * <pre>{@code
 * Tracing tracing = SagaflowTelemetry.create(openTelemetry);
 * ProcessorOptions<String, String> options = base.withTracing(tracing);
 * SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults().withCluster(cluster).withTracing(tracing));
 * }</pre>
 *
 * <p>Threads: {@link #record} and {@link #send} are called on the thread that handles the record or
 * sends; a span that {@link Span#attach() is attached} is the current span of that thread (for
 * implementations that keep one), so that spans started under it are its children. Calls must be
 * quick and must not throw; Sagaflow does not guard them.
 */
public interface Tracing {

  /** Tracing that records nothing. */
  static Tracing none() {
    return NoTracing.INSTANCE;
  }

  /**
   * A handler is about to process {@code record} (a consumer span, whose parent is the context the
   * record's headers carry). The span is attached while the handler, its retries and its failure
   * handling run, and ended when the record's processing ends.
   *
   * @param groupId the consumer group of the processor
   */
  Span record(String groupId, ConsumerRecord<byte[], byte[]> record);

  /**
   * {@code record} is about to be written (a producer span, child of the current span). The
   * implementation writes the span's context into the record's headers, replacing a context that is
   * there already (a copied header of the record that triggered the write). The span is ended when
   * the broker answers.
   *
   * @param kind what the write is: {@code send} (a handler's output), {@code put} (a saga's put or a
   *     started transaction), {@code retry} or {@code dead-letter} (copies of a failed record)
   */
  Span send(String kind, ProducerRecord<byte[], byte[]> record);

  /**
   * A saga run starts on an action of {@code topic}; called on the thread that starts it (a
   * Processor's handler thread, whose record span is then the parent). When no span is current and
   * the run came from {@code record}, the parent is the context of the record's headers.
   *
   * @param record the input record, or {@code null} for a run on an action of your own
   */
  Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record);

  /**
   * A saga run starts, as {@link #sagaRun(String, String, ConsumerRecord)}; {@code resumed} when it
   * is a durable run rebuilt from its journal (after a crash or a rebalance), whose code runs
   * again and replays its journaled effects. A resumed run gets a new span; its parent is the
   * context of its input record's headers, as the first run's was, so both are in the same trace.
   * The default ignores {@code resumed}.
   *
   * @param record the input record (rebuilt from the journal for a resumed run), or {@code null}
   */
  default Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record, boolean resumed) {
    return sagaRun(topic, transactionId, record);
  }

  /**
   * An effect of a saga run starts, on the thread that performs it. Its parent is the current span
   * when there is one (the run, or an enclosing effect such as a call), else {@code run}: the
   * branches of an all or a race run on threads of their own.
   *
   * @param kind the effect kind: put, take, actionChannel, call, all, race, delay, now, uuid
   * @param description the effect as {@code Effect.describe()} says it
   */
  Span effect(Span run, String kind, String description);

  /** A started span. */
  interface Span {
    /** A span that records nothing. */
    Span NOOP = new Span() {
      @Override
      public Scope attach() {
        return Scope.NOOP;
      }

      @Override
      public void end(Throwable error) {}
    };

    /** Makes this span the current one of the calling thread until the scope is closed. */
    Scope attach();

    /** Ends the span; {@code error} is what failed, or {@code null}. Later calls are ignored. */
    void end(Throwable error);
  }

  /** The time a span is attached to a thread. */
  interface Scope extends AutoCloseable {
    /** A scope that does nothing. */
    Scope NOOP = () -> {};

    /** Detaches the span (restores the thread's previous current span). */
    @Override
    void close();
  }
}

/** The default: no spans. */
enum NoTracing implements Tracing {
  INSTANCE;

  @Override
  public Span record(String groupId, ConsumerRecord<byte[], byte[]> record) {
    return Span.NOOP;
  }

  @Override
  public Span send(String kind, ProducerRecord<byte[], byte[]> record) {
    return Span.NOOP;
  }

  @Override
  public Span sagaRun(String topic, String transactionId, ConsumerRecord<byte[], byte[]> record) {
    return Span.NOOP;
  }

  @Override
  public Span effect(Span run, String kind, String description) {
    return Span.NOOP;
  }

  @Override
  public String toString() {
    return "Tracing.none()";
  }
}
