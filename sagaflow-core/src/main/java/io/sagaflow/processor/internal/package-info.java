/**
 * Implementation of the Processor; not an API. Map:
 *
 * <ul>
 *   <li>{@code PollLoop}: the one thread per consumer and its turn, driving the parts below;
 *       {@code Ticker} (its clock) and {@code KafkaClientFactory}/{@code ClientProperties} (its
 *       clients) are injected.
 *   <li>{@code Dispatcher}: per-partition backlogs, the fair share of the in-flight room, routing
 *       to lanes, not-before seeks.
 *   <li>{@code Pauses}: which partitions are paused, ours (limits, cap, delays) apart from the
 *       user's.
 *   <li>{@code Committer}: one per commit strategy ({@code PeriodicCommitter}, {@code
 *       BatchCommitter}, {@code NoCommitter}, {@code AtMostOnceCommitter}, {@code
 *       TransactionalCommitter} with its {@code TxnGate}); {@code CommitOffsets} decides what a commit carries, {@code OffsetTracker} and
 *       {@code OffsetMetadataCodec} what may be committed and the finished offsets above it.
 *   <li>{@code RebalanceHandler}: assign, revoke (drain, commit), lost; {@code Assignment} holds
 *       the {@code PartitionState}s; {@code LoopStatus} what {@code ProcessorRuntime.status()}
 *       reads, with {@code ConnectionWatch} (does a broker answer: DISCONNECTED) and {@code
 *       StallWatch} (records retried in place: stalled records, their WARNs and alarm).
 *   <li>{@code Lane} (a serial queue per key or partition), {@code LaneScheduler} (runs ready lanes
 *       on virtual threads), {@code CompletionReporter} (batches completions back to the poll
 *       thread), {@code HandlerInvoker} (handler + failure policy).
 *   <li>{@code RecordPublisher} (Flow view), {@code ProcessorRuntime} (lifecycle), {@code
 *       Metrics} (forwards to the options' {@code ProcessorMetrics}).
 * </ul>
 */
package io.sagaflow.processor.internal;
