package io.sagaflow.saga.internal;

import io.sagaflow.saga.ActionDecodingException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Makes a saga consumer's dead letters visible: counts every one and logs a WARN line naming topic,
 * partition, offset, dead-letter topic and reason, at most one line per interval. Lines that the
 * bound holds back are counted and reported by the next line that is written ("N more ... not
 * logged"), so a burst of poison records costs one line per interval while the count stays exact.
 */
public final class DeadLetterLog {
  /** At most one WARN line per consumer per this interval. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  private final Logger log;
  private final LongSupplier nanoTime;
  private final long intervalNanos;
  private final AtomicLong count = new AtomicLong();
  private long nextLineNanos;
  private boolean logged;
  private long suppressed;

  /**
   * @param log where the lines go
   * @param nanoTime the clock ({@code System::nanoTime} outside tests)
   * @param interval the shortest time between two lines
   */
  public DeadLetterLog(Logger log, LongSupplier nanoTime, Duration interval) {
    this.log = log;
    this.nanoTime = nanoTime;
    this.intervalNanos = interval.toNanos();
  }

  /** Counts a dead letter and logs it unless a line was written less than an interval ago. */
  public void deadLettered(String topic, int partition, long offset, String deadLetterTopic, Throwable error) {
    count.incrementAndGet();
    long more;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      if (logged && now - nextLineNanos < 0) {
        suppressed++;
        return;
      }
      logged = true;
      nextLineNanos = now + intervalNanos;
      more = suppressed;
      suppressed = 0;
    }
    log.warn("saga dead letter: topic={} partition={} offset={} written to {}; reason: {}{}", topic, partition, offset,
        deadLetterTopic, reason(error), more == 0 ? "" : " (" + more + " more dead letters since the previous line were"
            + " not logged; at most one line per " + Duration.ofNanos(intervalNanos).toSeconds() + " s)");
  }

  /** Dead letters so far. */
  public long count() {
    return count.get();
  }

  /** Why a record was dead-lettered, in words. */
  static String reason(Throwable error) {
    if (error instanceof ActionDecodingException) {
      return "not a valid action: " + error.getMessage();
    }
    if (error instanceof TimeoutException) {
      return "the saga timed out: " + error.getMessage();
    }
    return "the saga threw " + error;
  }
}
