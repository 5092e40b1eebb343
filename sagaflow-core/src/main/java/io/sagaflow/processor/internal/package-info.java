/**
 * Implementation of the Processor; not an API. Map: {@code PollLoop} (the one thread per consumer:
 * poll, dispatch, backpressure pauses, commits, rebalance), {@code OffsetTracker} and
 * {@code OffsetMetadataCodec} (what may be committed, and the finished offsets above it in the
 * commit metadata), {@code Lane}/{@code LaneRunners}/{@code Worker} (serial queues per key or
 * partition run by virtual threads, batching completions back to the poll thread), {@code Work}
 * (handler + failure policy), {@code RecordPublisher} (Flow view), {@code ProcessorRuntime}
 * (lifecycle), {@code Metrics} (forwards to the options' {@code ProcessorMetrics}).
 */
package io.sagaflow.processor.internal;
