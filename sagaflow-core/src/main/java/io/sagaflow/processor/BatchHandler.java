package io.sagaflow.processor;

import java.util.List;

/**
 * Processes the records of one partition from one poll, in offset order. Batches of one partition
 * run one at a time whatever the {@link Ordering}; batches of different partitions run in parallel.
 * Runs on a virtual thread and may block.
 *
 * <p>If the handler throws, each record of the batch goes to the {@link FailureHandler} in offset
 * order; a {@link FailureDecision#retryAfter} decision calls this handler again with a list that
 * holds that record alone.
 */
@FunctionalInterface
public interface BatchHandler<K, V> {
  void handle(List<ProcessorRecord<K, V>> records) throws Exception;
}
