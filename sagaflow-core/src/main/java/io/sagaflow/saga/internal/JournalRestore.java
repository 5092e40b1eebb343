package io.sagaflow.saga.internal;

import io.sagaflow.saga.SagaConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a durable saga consumer's runs from its journal: one partition when it is assigned
 * ({@link #restore}), or every assigned partition after a failure ({@link #rebuild}, which first
 * seeks the input back to the committed offsets).
 *
 * <p>Design. The journal partition with the input partition's number is read from its beginning
 * to its last stable offset ({@link JournalReader}): the runs still live there are resumed ({@link
 * ResidentRuns#resume}: their code runs again, replaying journaled effects; an undecodable record,
 * a journal of another version or a non-determinism error dead-letters that run alone). The input
 * records at or past the consumer's position whose run is in the journal, live or ended, go into
 * the partition's skip set, so they are not run twice; ended runs before the position need no
 * entry, the consumer will not see their records again.
 *
 * <p>Threading. Loop thread only: inside {@code poll} (the assignment callback) or in the loop's
 * turn (a recovery's rebuild).
 */
final class JournalRestore {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);

  private final String journalTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final JournalWriter writer;
  private final JournalReader reader;
  private final DurableObservers observers;
  private final ResidentRuns<?> runs;

  JournalRestore(DurableParts parts, ResidentRuns<?> runs) {
    this.journalTopic = parts.journalTopic();
    this.consumer = parts.consumer();
    this.writer = parts.writer();
    this.reader = parts.reader();
    this.observers = parts.observers();
    this.runs = runs;
  }

  /** Rebuilds the runs of {@code tp} from the journal. */
  void restore(TopicPartition tp) {
    long t0 = System.nanoTime();
    long position = consumer.position(tp);
    writer.assigned(tp.partition(), position);
    Set<String> skip = runs.skipSet(tp.partition());
    JournalReader.Contents contents = reader.read(tp.partition());
    contents.ended().forEach(key -> {
      if (offsetOf(key) >= position) {
        skip.add(key);
      }
    });
    for (Map.Entry<String, byte[]> e : contents.live().entrySet()) {
      skip.add(e.getKey());
      runs.restore(tp.partition(), e.getKey(), e.getValue());
    }
    runs.restored(tp.partition());
    observers.restored(tp.partition(), System.nanoTime() - t0, contents.live().size());
    LOG.info("durable sagas of {}: {} restored from {}", tp, contents.live().size(), journalTopic);
  }

  /**
   * Seeks back to the committed offsets and restores every assigned partition (the caller dropped
   * their runs).
   */
  void rebuild() {
    Set<TopicPartition> parts = consumer.assignment();
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(parts, Duration.ofSeconds(15));
    for (TopicPartition tp : parts) {
      OffsetAndMetadata o = committed.get(tp);
      if (o != null) {
        consumer.seek(tp, o.offset());
      } else {
        consumer.seekToBeginning(List.of(tp));
      }
      restore(tp);
    }
  }

  /** The input offset in a run key ({@code topic-partition@offset}), or -1. */
  private static long offsetOf(String runKey) {
    int at = runKey.lastIndexOf('@');
    try {
      return at < 0 ? -1 : Long.parseLong(runKey.substring(at + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
