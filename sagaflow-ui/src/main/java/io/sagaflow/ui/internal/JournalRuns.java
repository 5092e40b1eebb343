package io.sagaflow.ui.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalDecodingException;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Saga runs built from journal records, read in offset order per partition; shared by the web
 * inspector's {@link JournalIndex} (which follows the topics) and {@code sagaflow sagas} (which
 * reads them once, through {@link JournalSnapshot}).
 *
 * <p>Each record replaces the run under its key: a value is a live run's full journal; a tombstone
 * whose headers say {@code sagaflow-status} is an ended run (its final journal in {@code
 * sagaflow-journal}, its error in {@code sagaflow-error}); a bare tombstone removes the run. A
 * record that does not decode is kept as a {@code malformed} run carrying the decoder's message,
 * so that a reader can say which record is bad instead of failing.
 */
public final class JournalRuns {
  /** How journal topics are named: {@code <group>-saga-journal}. */
  public static final String SUFFIX = "-saga-journal";
  static final String STATUS_HEADER = "sagaflow-status";
  static final String JOURNAL_HEADER = "sagaflow-journal";
  static final String ERROR_HEADER = "sagaflow-error";

  private final JournalCodec codec = new JournalCodec(new ObjectMapper());
  private final Map<String, SagaRun> runs = new ConcurrentHashMap<>();

  /** Every run, the most recently updated first. */
  public List<SagaRun> runs() {
    List<SagaRun> all = new ArrayList<>(runs.values());
    all.sort(Comparator.comparing(SagaRun::updatedAt, Comparator.nullsLast(Comparator.reverseOrder()))
        .thenComparing(SagaRun::runKey));
    return all;
  }

  /** Applies the next record of a journal partition. */
  public void apply(ConsumerRecord<byte[], byte[]> r) {
    String runKey = r.key() == null ? "(no key)@" + r.offset() : new String(r.key(), StandardCharsets.UTF_8);
    String id = r.topic() + "\u0000" + runKey;
    String where = runKey + " at " + r.topic() + "-" + r.partition() + "@" + r.offset();
    Instant at = Instant.ofEpochMilli(r.timestamp());
    if (r.value() != null) {
      SagaRun run;
      try {
        SagaJournal j = codec.decode(r.value(), where);
        run = new SagaRun(r.topic(), r.partition(), r.offset(), runKey, SagaRun.liveStatus(j), j, null, at);
      } catch (JournalDecodingException e) {
        run = new SagaRun(r.topic(), r.partition(), r.offset(), runKey, SagaRun.MALFORMED, null, e.getMessage(), at);
      }
      runs.put(id, run);
      return;
    }
    String status = header(r, STATUS_HEADER);
    if (status == null) {
      runs.remove(id); // a plain delete
      return;
    }
    String error = header(r, ERROR_HEADER);
    Header final_ = r.headers().lastHeader(JOURNAL_HEADER);
    SagaJournal journal = null;
    if (final_ != null) {
      try {
        journal = codec.decode(final_.value(), where + " (header " + JOURNAL_HEADER + ")");
      } catch (JournalDecodingException e) {
        runs.put(id, new SagaRun(r.topic(), r.partition(), r.offset(), runKey, SagaRun.MALFORMED, null,
            e.getMessage(), at));
        return;
      }
    } else {
      SagaRun before = runs.get(id);
      journal = before == null ? null : before.journal();
    }
    String s = SagaRun.FAILED.equals(status) ? SagaRun.FAILED : SagaRun.COMPLETED;
    runs.put(id, new SagaRun(r.topic(), r.partition(), r.offset(), runKey, s, journal, error, at));
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
