/**
 * The Processor: a Kafka consumer runtime that processes records on virtual threads with per-key or
 * per-partition order, bounded memory and commits that never pass an unfinished record.
 *
 * <p>Entry point: {@link io.sagaflow.processor.Processor} built from
 * {@link io.sagaflow.processor.ProcessorOptions}. Handlers: {@link io.sagaflow.processor.RecordHandler},
 * {@link io.sagaflow.processor.BatchHandler}, or the {@link java.util.concurrent.Flow.Publisher} view
 * ({@link io.sagaflow.processor.Processor#forPublisher}). Failures go to a
 * {@link io.sagaflow.processor.FailureHandler}, the seam of the recovery pipeline; delayed records
 * use {@link io.sagaflow.processor.ProcessorOptions#withNotBefore}.
 */
package io.sagaflow.processor;
