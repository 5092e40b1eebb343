package io.sagaflow.processor.internal;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Whether a poll loop's consumer hears from the cluster, for {@code DISCONNECTED} in the status
 * (a Processor's poll loops, and a durable saga consumer's loop).
 *
 * <p>Design: the evidence is the consumer's own {@code response-total} metric (group {@code
 * consumer-metrics}: responses received from any broker, public API). A connected consumer gets
 * fetch responses every {@code fetch.max.wait.ms} and heartbeat responses every few seconds even
 * with every partition paused; a consumer pointed at a closed port, a dead cluster or a listener
 * of another security protocol gets none (an open TCP connection alone is not evidence: a pending
 * connect counts in {@code connection-count}). The loop calls {@link #observe} at its status
 * cadence; when the count has not grown for the timeout, the loop is disconnected, and it is
 * connected again as soon as it grows. A status call judges the same way by itself when the poll
 * thread has not observed for the timeout (it is blocked in a call that waits for a broker). A
 * consumer without the metric (a test double) counts as connected: no evidence either way is not
 * reported as an outage.
 */
public final class ConnectionWatch {
  private final long timeoutNanos;
  private final Runnable onFirstConnect;
  // Written by the poll thread; volatile because status calls read them too (see disconnected(long)).
  private volatile Metric responses;
  private boolean looked;
  private volatile double lastCount = -1;
  private volatile long lastProgressNanos;
  /** Read by status calls and by a fail-fast start. */
  private volatile boolean disconnected;
  /** When the loop began creating its clients, or -1 before: see {@link #disconnected(long)}. */
  private volatile long openingSince = -1;
  private volatile boolean everConnected;
  /** The response count as status calls last saw it, and since when (guarded by this). */
  private double statusCount = -1;
  private long statusSinceNanos;

  /** {@code onFirstConnect} runs on the poll thread the first time a broker answers. */
  public ConnectionWatch(long timeoutNanos, Runnable onFirstConnect) {
    this.timeoutNanos = timeoutNanos;
    this.onFirstConnect = onFirstConnect;
  }

  /**
   * The loop begins creating its clients at {@code now}. In exactly-once mode that includes the
   * transactional producer's {@code initTransactions()}, which blocks the poll thread for up to
   * {@code max.block.ms} while no broker answers: the timeout counts from here, so that wait shows
   * as DISCONNECTED too.
   */
  public void opening(long now) {
    openingSince = now;
  }

  /** The loop starts at {@code now}: the timeout counts from here. */
  public void start(long now) {
    lastProgressNanos = now;
  }

  /** Poll thread: looks at the consumer's metrics at {@code now}. */
  public void observe(long now, Map<MetricName, ? extends Metric> consumerMetrics) {
    if (!looked) {
      looked = true;
      for (Map.Entry<MetricName, ? extends Metric> m : consumerMetrics.entrySet()) {
        if (m.getKey().name().equals("response-total") && m.getKey().group().equals("consumer-metrics")) {
          responses = m.getValue();
          break;
        }
      }
    }
    if (responses == null) {
      progress(now);
      return;
    }
    double count = count(responses);
    if (count > lastCount && count > 0) {
      lastCount = count;
      progress(now);
    } else if (now - lastProgressNanos >= timeoutNanos && !disconnected) {
      disconnected = true;
    }
  }

  /** Poll thread: evidence of a working connection (a broker answered) at {@code now}. */
  void progress(long now) {
    lastProgressNanos = now;
    if (disconnected) {
      disconnected = false;
    }
    if (!everConnected) {
      everConnected = true;
      onFirstConnect.run();
    }
  }

  boolean disconnected() {
    return disconnected;
  }

  /**
   * Any thread: disconnected as {@link #disconnected()} says, or still opening its clients with no
   * broker heard from for the timeout at {@code now}.
   */
  public boolean disconnected(long now) {
    long since = openingSince;
    if (disconnected || (!everConnected && since != -1 && now - since >= timeoutNanos)) {
      return true;
    }
    // The poll thread observes between its calls only. One call may block for long while no broker
    // answers (exactly-once's transaction calls wait up to max.block.ms), and then it cannot notice
    // the outage: judge here by the same evidence, the response count, which any thread may read.
    Metric r = responses;
    return r != null && everConnected && standingStill(r, now) && now - lastProgressNanos >= timeoutNanos;
  }

  /**
   * Status calls' own view of the count: whether it has not changed for the timeout, as far as
   * status calls saw (responses that arrived after the poll thread's last look count as progress).
   */
  private synchronized boolean standingStill(Metric r, long now) {
    double count = count(r);
    if (count != statusCount) {
      statusCount = count;
      statusSinceNanos = now;
    }
    return now - statusSinceNanos >= timeoutNanos;
  }

  private static double count(Metric m) {
    Object v = m.metricValue();
    return v instanceof Number n ? n.doubleValue() : 0;
  }

  boolean everConnected() {
    return everConnected;
  }
}
