package io.sagaflow.processor;

/**
 * Processes one record. Runs on a virtual thread and may block. Returning normally means the
 * record is finished (unless the commit strategy is {@link CommitStrategy#MANUAL}); throwing hands
 * the record to the {@link FailureHandler}.
 *
 * <pre>{@code
 * RecordHandler<String, String> handler = record -> db.save(record.key(), record.value());
 * }</pre>
 */
@FunctionalInterface
public interface RecordHandler<K, V> {
  void handle(ProcessorRecord<K, V> record) throws Exception;
}
