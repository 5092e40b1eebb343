package io.sagaflow.processor.internal;

import io.sagaflow.processor.StalledRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes records that are retried in place visible: which ones fail, how often, since when and why.
 *
 * <p>Design: only the failure path touches it. A handler thread calls {@link #failed} after each
 * failed attempt of a record (the first call creates the record's {@link Entry}) and {@link
 * #cleared} once the record leaves the retry loop (it succeeded, was finished by a decision, or was
 * dropped); a record that never fails costs one null check. An entry becomes <em>stalled</em> at a
 * failure once it failed {@link StalledRecord#MIN_ATTEMPTS} times or has been failing {@link
 * StalledRecord#MIN_AGE_SECONDS} s; the stalled count goes to the metrics when it changes. A WARN is
 * logged at a failure once {@link #FIRST_WARN_NANOS} has passed since the first failure, then after
 * twice that, and so on up to every {@link #MAX_WARN_NANOS}: the log shows a stuck key without one
 * line per attempt. {@link #alarm} (health DOWN) and {@link #stalled} are read by status calls; a
 * record whose failure copies a topic rejects ({@link #copyRejected}) is in the alarm at once.
 */
final class StallWatch {
  private static final Logger LOG = LoggerFactory.getLogger(StallWatch.class);
  static final long FIRST_WARN_NANOS = 60_000_000_000L;
  static final long MAX_WARN_NANOS = 16 * FIRST_WARN_NANOS;
  static final long MIN_AGE_NANOS = StalledRecord.MIN_AGE_SECONDS * 1_000_000_000L;

  /** One failing record; its fields are written by the one thread that runs the record. */
  static final class Entry {
    final TopicPartition tp;
    final long offset;
    final String key;
    final long firstNanos;
    final long firstMillis;
    volatile int attempts;
    volatile Throwable error;
    /** Exactly-once: why the failure handler's copies of the record could not be written, else null. */
    volatile Throwable copyError;
    volatile boolean stalled;
    long nextWarnNanos;
    long warnEveryNanos = FIRST_WARN_NANOS;

    Entry(TopicPartition tp, long offset, String key, long firstNanos, long firstMillis) {
      this.tp = tp;
      this.offset = offset;
      this.key = key;
      this.firstNanos = firstNanos;
      this.firstMillis = firstMillis;
      this.nextWarnNanos = firstNanos + FIRST_WARN_NANOS;
    }
  }

  private final Ticker ticker;
  private final long alarmNanos;
  private final Metrics metrics;
  private final ConcurrentHashMap<Entry, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong stalledCount = new AtomicLong();
  /** WARN lines logged (tests). */
  final AtomicLong warnings = new AtomicLong();

  StallWatch(Ticker ticker, long alarmNanos, Metrics metrics) {
    this.ticker = ticker;
    this.alarmNanos = alarmNanos;
    this.metrics = metrics;
  }

  /**
   * A record failed attempt {@code attempt} with {@code error}; {@code e} is its entry from an
   * earlier failure, or null at the first. Returns the entry to pass next time and to {@link
   * #cleared}.
   */
  Entry failed(Entry e, TopicPartition tp, long offset, Object key, byte[] rawKey, int attempt, Throwable error) {
    long now = ticker.nanoTime();
    if (e == null) {
      e = new Entry(tp, offset, keyText(key, rawKey), now, ticker.currentTimeMillis());
      entries.put(e, e);
    }
    e.attempts = attempt;
    e.error = error;
    if (!e.stalled && (attempt >= StalledRecord.MIN_ATTEMPTS || now - e.firstNanos >= MIN_AGE_NANOS)) {
      e.stalled = true;
      metrics.stalledRecords(stalledCount.incrementAndGet());
    }
    if (now - e.nextWarnNanos >= 0) {
      warnings.incrementAndGet();
      LOG.warn("Record {}@{} (key {}) has failed {} times in {} s and is still retried in place: it holds "
          + "back its key and the partition's committed offset. Fix the cause, or configure a failure "
          + "handler (for example the recovery pipeline's dead-letter topic). Last error: {}",
          tp, offset, e.key, attempt, (now - e.firstNanos) / 1_000_000_000L, error.toString());
      // Next at first + 2, 4, 8, 16 minutes (skipping those already past), then every 16 minutes.
      while (e.warnEveryNanos < MAX_WARN_NANOS && e.firstNanos + e.warnEveryNanos - now <= 0) {
        e.warnEveryNanos *= 2;
      }
      e.nextWarnNanos = e.firstNanos + e.warnEveryNanos - now > 0
          ? e.firstNanos + e.warnEveryNanos
          : now + MAX_WARN_NANOS;
    }
    return e;
  }

  /**
   * Exactly-once: the failure handler finished the record of {@code e} with copies (retry or dead
   * letter) that could not be written, for {@code why}: the record is stalled and health is DOWN at
   * once, naming it, until the record leaves the retry loop.
   */
  void copyRejected(Entry e, Throwable why) {
    if (e != null) {
      e.copyError = why;
      if (!e.stalled) { // held until a topic changes: listed and counted at once
        e.stalled = true;
        metrics.stalledRecords(stalledCount.incrementAndGet());
      }
    }
  }

  /** The record of {@code e} left the retry loop. */
  void cleared(Entry e) {
    if (entries.remove(e) != null && e.stalled) {
      metrics.stalledRecords(stalledCount.decrementAndGet());
    }
  }

  /** The stalled records, oldest failure first. */
  List<StalledRecord> stalled() {
    List<StalledRecord> out = new ArrayList<>();
    for (Entry e : entries.keySet()) {
      if (e.stalled) {
        Throwable t = e.error;
        out.add(new StalledRecord(e.tp, e.offset, e.key, e.attempts, Instant.ofEpochMilli(e.firstMillis),
            t.getClass().getName(), t.getMessage()));
      }
    }
    out.sort(Comparator.comparing(StalledRecord::firstFailure));
    return out;
  }

  /** A sentence for each record failing for longer than the alarm time (health DOWN), else empty. */
  List<String> alarm() {
    long now = ticker.nanoTime();
    List<String> out = new ArrayList<>();
    for (Entry e : entries.keySet()) {
      Throwable copy = e.copyError;
      if (copy != null) {
        out.add("record " + e.tp + "@" + e.offset + " (key " + e.key + ") is held: " + copy.getMessage());
      } else if (now - e.firstNanos >= alarmNanos) {
        out.add("record " + e.tp + "@" + e.offset + " (key " + e.key + ") has failed " + e.attempts
            + " times since " + Instant.ofEpochMilli(e.firstMillis) + " and holds back its key: "
            + e.error + "; fix the cause or configure a failure handler (e.g. a dead-letter topic)");
      }
    }
    return out;
  }

  private static String keyText(Object key, byte[] rawKey) {
    if (key != null) {
      return String.valueOf(key);
    }
    return rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
  }
}
