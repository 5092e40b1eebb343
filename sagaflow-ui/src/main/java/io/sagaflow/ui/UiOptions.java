package io.sagaflow.ui;

import io.sagaflow.kafka.ClusterOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the web inspector. Immutable; change one with its {@code withX} method.
 *
 * <p>The cluster's client properties (security settings included) are used to talk to Kafka and
 * never sent to the page: it sees the bootstrap servers and the security protocol only.
 *
 * @param cluster the Kafka cluster to inspect
 * @param bind the address to listen on ({@code 127.0.0.1} by default: only this machine)
 * @param port the port to listen on; 0 picks a free one
 * @param allowReplay whether the page may replay dead letters (off by default: the page is read-only)
 * @param refresh how often the server reads new journal records and the page polls
 * @param timeout how long one request waits for Kafka before the page says it did not answer
 */
public record UiOptions(ClusterOptions cluster, String bind, int port, boolean allowReplay, Duration refresh,
    Duration timeout) {
  /** The default address: the loopback interface only. */
  public static final String DEFAULT_BIND = "127.0.0.1";
  /** The default port. */
  public static final int DEFAULT_PORT = 8080;

  /** Validates. */
  public UiOptions {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(refresh, "refresh");
    Objects.requireNonNull(timeout, "timeout");
    if (bind.isBlank()) {
      throw new IllegalArgumentException("bind (\"" + bind + "\") must name an address, e.g. 127.0.0.1");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port (" + port + ") must be between 0 (any free port) and 65535");
    }
    if (refresh.isNegative() || refresh.isZero()) {
      throw new IllegalArgumentException("refresh (" + refresh + ") must be positive");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
    }
  }

  /** Read-only, on 127.0.0.1:8080, refreshing every second, waiting up to 10 s for Kafka. */
  public static UiOptions of(ClusterOptions cluster) {
    return new UiOptions(cluster, DEFAULT_BIND, DEFAULT_PORT, false, Duration.ofSeconds(1), Duration.ofSeconds(10));
  }

  /** These options on {@code bind}. */
  public UiOptions withBind(String bind) {
    return new UiOptions(cluster, bind, port, allowReplay, refresh, timeout);
  }

  /** These options on {@code port} (0 for any free port). */
  public UiOptions withPort(int port) {
    return new UiOptions(cluster, bind, port, allowReplay, refresh, timeout);
  }

  /** These options with replay from the page allowed or not. */
  public UiOptions withAllowReplay(boolean allowReplay) {
    return new UiOptions(cluster, bind, port, allowReplay, refresh, timeout);
  }

  /** These options waiting up to {@code timeout} for Kafka per request. */
  public UiOptions withTimeout(Duration timeout) {
    return new UiOptions(cluster, bind, port, allowReplay, refresh, timeout);
  }

  /** These options refreshing every {@code refresh}. */
  public UiOptions withRefresh(Duration refresh) {
    return new UiOptions(cluster, bind, port, allowReplay, refresh, timeout);
  }
}
