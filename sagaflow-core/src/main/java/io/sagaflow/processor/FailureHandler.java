package io.sagaflow.processor;

import io.sagaflow.processor.internal.Backoff;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what happens to a record whose handler (or deserialization) failed. Runs on the record's
 * worker thread; may block.
 *
 * <p>The default ({@link #retryInPlace()}) retries the record in place forever with exponential
 * backoff (100 ms doubling, capped at 30 s), logging the first failure at WARN: a failed record is
 * never committed as a success unless a policy says so explicitly. A record that keeps failing is
 * listed in {@link ProcessorStatus#stalledRecords()} and logged at WARN at growing intervals (see
 * {@link ProcessorOptions#withStallAlarmAfter}). The recovery pipeline replaces it.
 *
 * <pre>{@code
 * FailureHandler h = failed -> failed.attempt() < 3
 *     ? FailureDecision.retryAfter(Duration.ofSeconds(1))
 *     : deadLetters.publish(failed);   // returns FailureDecision.done() once written
 * }</pre>
 */
@FunctionalInterface
public interface FailureHandler {

  /**
   * Returns the decision; throwing means "could not hand the record off": the processor backs off
   * (exponential, capped at 30 s) and calls again with the same failure, keeping the record
   * unfinished (its key/partition stays blocked and its offset is never committed) until it
   * returns.
   */
  FailureDecision onFailure(FailedRecord failed) throws Exception;

  /** Logs at WARN and counts the record as finished (an explicit opt-in to skipping failures). */
  static FailureHandler logAndContinue() {
    return failed -> {
      Log.LOG.warn(
          "Skipping failed record {}-{}@{} (attempt {}): {}",
          failed.raw().topic(),
          failed.raw().partition(),
          failed.raw().offset(),
          failed.attempt(),
          failed.error().toString());
      return FailureDecision.done();
    };
  }

  /** Stops the processor; the failed record is not committed. */
  static FailureHandler stop() {
    return failed -> {
      Log.LOG.error(
          "Stopping processor on failed record {}-{}@{}",
          failed.raw().topic(),
          failed.raw().partition(),
          failed.raw().offset(),
          failed.error());
      return FailureDecision.stop();
    };
  }

  /**
   * Retries in place forever with exponential backoff (100 ms doubling, capped at 30 s), logging
   * the first failure at WARN and later ones at DEBUG: the processor itself warns about a record
   * that stays stalled, at growing intervals, rather than once per attempt. The processor's default.
   */
  static FailureHandler retryInPlace() {
    return failed -> {
      long millis = Log.RETRY_IN_PLACE.delayMillis(Math.max(1, failed.attempt()));
      String format = "Record {}-{}@{} failed (attempt {}), retrying in {} ms: {}";
      Object[] args = {failed.raw().topic(), failed.raw().partition(), failed.raw().offset(),
          failed.attempt(), millis, failed.error().toString()};
      if (failed.attempt() == 1) {
        Log.LOG.warn(format, args);
      } else {
        Log.LOG.debug(format, args);
      }
      return FailureDecision.retryAfter(Duration.ofMillis(millis));
    };
  }
}

final class Log {
  static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  /** The backoff of {@link FailureHandler#retryInPlace()}: 100 ms doubling, capped at 30 s. */
  static final Backoff RETRY_IN_PLACE =
      Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(30), 0.0);

  private Log() {}
}
