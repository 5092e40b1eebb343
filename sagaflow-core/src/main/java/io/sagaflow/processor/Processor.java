package io.sagaflow.processor;

import io.sagaflow.processor.internal.ProcessorRuntime;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.Flow;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumes Kafka topics at the speed of the work, not of the partition count: records run on
 * virtual threads with per-key (or per-partition) order, thousands in flight, bounded memory, and
 * commits that never pass an unfinished record.
 *
 * <pre>{@code
 * ProcessorOptions<String, String> options =
 *     ProcessorOptions.create(bootstrap, "billing", new StringDeserializer(), new StringDeserializer())
 *         .withTopics("orders");
 * try (Processor<String, String> processor =
 *     Processor.forRecords(options, record -> bill(record.key(), record.value())).start()) {
 *   ...
 * } // close(): stop polling, drain in-flight work, commit, close
 * }</pre>
 *
 * <p>Threads: each of {@link ProcessorOptions#consumers()} KafkaConsumers is owned by one platform
 * thread ({@code sagaflow-poll-<group>-<n>}), the only caller of poll/commit/pause/resume/seek.
 * Handlers run on virtual threads and may block.
 *
 * <p>Offsets: a record is finished when its handler returns (or it is acked, or its failure is
 * decided {@link FailureDecision#done()}); the processor commits the highest offset below which
 * every record finished, and records the finished offsets above it in the commit metadata, so a
 * restart or a new owner skips them.
 */
public final class Processor<K, V> implements AutoCloseable {
  private final ProcessorRuntime<K, V> runtime;
  private final Duration defaultCloseTimeout;

  private Processor(ProcessorRuntime<K, V> runtime, Duration defaultCloseTimeout) {
    this.runtime = runtime;
    this.defaultCloseTimeout = defaultCloseTimeout;
  }

  /** A processor that runs {@code handler} for each record. Call {@link #start()} to begin. */
  public static <K, V> Processor<K, V> forRecords(ProcessorOptions<K, V> options, RecordHandler<K, V> handler) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    return new Processor<>(new ProcessorRuntime<>(options, handler, null, false), options.shutdownTimeout());
  }

  /** A processor that runs {@code handler} for each partition's records of each poll. */
  public static <K, V> Processor<K, V> forBatches(ProcessorOptions<K, V> options, BatchHandler<K, V> handler) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    return new Processor<>(new ProcessorRuntime<>(options, null, handler, false), options.shutdownTimeout());
  }

  /**
   * A processor whose records go to the subscriber of {@link #publisher()}. Demand drives fetching:
   * with no outstanding {@code request(n)}, every partition is paused and at most
   * {@link ProcessorOptions#publisherPrefetch()} records are buffered. Records are finished when the
   * subscriber calls {@link ProcessorRecord#ack()}.
   */
  public static <K, V> Processor<K, V> forPublisher(ProcessorOptions<K, V> options) {
    Objects.requireNonNull(options, "options");
    return new Processor<>(new ProcessorRuntime<>(options, null, null, true), options.shutdownTimeout());
  }

  /**
   * Starts the poll threads; returns this. With {@link ProcessorOptions#withFailFastConnect
   * withFailFastConnect(true)} it first waits until every consumer heard from a broker, at most
   * {@link ProcessorOptions#connectionTimeout()}.
   *
   * @throws IllegalStateException with fail-fast connect, if the cluster could not be reached in
   *     time (the message names the bootstrap servers; the processor is closed)
   */
  public Processor<K, V> start() {
    runtime.start();
    return this;
  }

  /** The reactive view (one subscriber); only for {@link #forPublisher} processors. */
  public Flow.Publisher<ProcessorRecord<K, V>> publisher() {
    return runtime.publisher();
  }

  /** Pauses partitions on behalf of the user; kept apart from the processor's own pauses. */
  public void pause(Collection<TopicPartition> partitions) {
    runtime.pause(partitions, true);
  }

  /** Lifts user pauses (the processor's own pauses stay as they are). */
  public void resume(Collection<TopicPartition> partitions) {
    runtime.pause(partitions, false);
  }

  /**
   * A snapshot of assignment, pauses, in-flight work, committed offsets, the last error, stalled
   * records and health ({@link ProcessorStatus#health()}, with the reasons when DOWN).
   */
  public ProcessorStatus status() {
    return runtime.status();
  }

  /** Waits until the processor has stopped (after {@link #close} or a stop decision). */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return runtime.awaitTermination(timeout);
  }

  /** {@link #close(Duration)} with {@link ProcessorOptions#shutdownTimeout()}. */
  @Override
  public void close() {
    close(defaultCloseTimeout);
  }

  /**
   * Stops polling, lets in-flight records finish within {@code timeout}, commits what finished and
   * closes the consumers. Records still running after the timeout are interrupted and not
   * committed. Idempotent; called from a handler it only requests the close.
   */
  public void close(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    runtime.close(timeout);
  }
}
