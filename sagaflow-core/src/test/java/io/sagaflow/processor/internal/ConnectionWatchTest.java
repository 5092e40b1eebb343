package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

/** When a consumer counts as disconnected and connected again: fake clock, a fake metric. */
class ConnectionWatchTest {
  private static final long TIMEOUT = Duration.ofSeconds(30).toNanos();
  private final FakeTicker ticker = new FakeTicker();
  private final AtomicInteger firstConnects = new AtomicInteger();
  private final ConnectionWatch watch = new ConnectionWatch(TIMEOUT, firstConnects::incrementAndGet);
  private double responses;
  private final Metric metric = new Metric() {
    @Override
    public MetricName metricName() {
      return name("response-total", "consumer-metrics");
    }

    @Override
    public Object metricValue() {
      return responses;
    }
  };

  private static MetricName name(String name, String group) {
    return new MetricName(name, group, "", Map.of("client-id", "c"));
  }

  private void observe(Duration after) {
    ticker.advance(after);
    watch.observe(ticker.nanoTime(), Map.of(metric.metricName(), metric,
        name("connection-count", "consumer-metrics"), metric));
  }

  @Test
  void noResponseForTheTimeoutIsDisconnected() {
    watch.start(ticker.nanoTime());
    observe(Duration.ofSeconds(29));
    assertThat(watch.disconnected()).isFalse();
    observe(Duration.ofSeconds(1));
    assertThat(watch.disconnected()).isTrue();
    assertThat(watch.everConnected()).isFalse();
    assertThat(firstConnects).hasValue(0);
  }

  @Test
  void responsesKeepItConnectedAndAnOutageIsDetectedThenRecovered() {
    watch.start(ticker.nanoTime());
    for (int i = 0; i < 10; i++) {
      responses++;
      observe(Duration.ofSeconds(10));
      assertThat(watch.disconnected()).isFalse();
    }
    assertThat(firstConnects).hasValue(1);
    observe(Duration.ofSeconds(29)); // the broker stopped answering: the count stands still
    assertThat(watch.disconnected()).isFalse();
    observe(Duration.ofSeconds(1));
    assertThat(watch.disconnected()).isTrue();
    responses++;
    observe(Duration.ofMillis(200));
    assertThat(watch.disconnected()).isFalse();
    assertThat(firstConnects).hasValue(1);
  }

  @Test
  void aStatusCallSeesTheOutageWhileThePollThreadIsBlockedInACall() {
    // Exactly-once: the poll thread waits in a transaction call while no broker answers and does
    // not observe; the status must still say DISCONNECTED once the timeout passes without a response.
    watch.start(ticker.nanoTime());
    responses++;
    observe(Duration.ofSeconds(1));
    responses++; // one more answer after the poll thread's last look; then it blocks: no observe
    ticker.advance(Duration.ofSeconds(1));
    assertThat(watch.disconnected(ticker.nanoTime())).isFalse();
    ticker.advance(Duration.ofSeconds(29)); // 29 s since a status call saw the count change
    assertThat(watch.disconnected(ticker.nanoTime())).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(watch.disconnected(ticker.nanoTime())).isTrue();
    responses++; // a broker answers while the poll thread is still blocked
    assertThat(watch.disconnected(ticker.nanoTime())).isFalse();
  }

  @Test
  void polledRecordsAreProgressToo() {
    watch.start(ticker.nanoTime());
    observe(Duration.ofSeconds(30));
    assertThat(watch.disconnected()).isTrue();
    watch.progress(ticker.nanoTime());
    assertThat(watch.disconnected()).isFalse();
  }

  @Test
  void aConsumerWithoutTheMetricIsNeverReportedDisconnected() {
    watch.start(ticker.nanoTime());
    ticker.advance(Duration.ofMinutes(5));
    watch.observe(ticker.nanoTime(), Map.of());
    assertThat(watch.disconnected()).isFalse();
    assertThat(firstConnects).hasValue(1);
  }

  @Test
  void aLoopStuckOpeningItsClientsIsDisconnectedAfterTheTimeout() {
    // Exactly-once: initTransactions() blocks the poll thread, so observe() never runs.
    watch.opening(ticker.nanoTime());
    ticker.advance(Duration.ofSeconds(29));
    assertThat(watch.disconnected(ticker.nanoTime())).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(watch.disconnected(ticker.nanoTime())).isTrue();
    watch.start(ticker.nanoTime());
    watch.progress(ticker.nanoTime()); // a broker answered at last
    assertThat(watch.disconnected(ticker.nanoTime())).isFalse();
  }
}
