package io.sagaflow.ui;

import io.sagaflow.ui.internal.UiServer;
import java.net.URI;
import java.util.Objects;

/**
 * The web inspector: an HTTP server on {@link UiOptions#bind()}:{@link UiOptions#port()} serving a
 * page (static HTML, CSS and JS from this jar) and the JSON it polls.
 *
 * <ul>
 *   <li><b>Sagas</b> from every journal topic ({@code <group>-saga-journal}): running, waiting,
 *       compensating, completed and failed runs, and each run's timeline.
 *   <li><b>Consumer groups</b>: lag per partition ({@link io.sagaflow.admin.GroupLag}).
 *   <li><b>Dead letters</b> of every {@code *-dlt} topic with their headers decoded
 *       ({@link io.sagaflow.recovery.DeadLetters}); replay through the same code as
 *       {@code sagaflow dlq replay}, only with {@link UiOptions#allowReplay()}.
 * </ul>
 *
 * A broker that went away, an unknown transaction id or a malformed journal record shows as a
 * message on the page; none stops the server. {@link #close()} stops it and its Kafka clients.
 */
public final class SagaflowUi implements AutoCloseable {
  private final UiServer server;

  private SagaflowUi(UiServer server) {
    this.server = server;
  }

  /**
   * Starts the server and returns once it listens.
   *
   * @throws IllegalStateException if the address is taken or cannot be bound
   */
  public static SagaflowUi start(UiOptions options) {
    return new SagaflowUi(UiServer.start(Objects.requireNonNull(options, "options")));
  }

  /** The page's address, e.g. {@code http://127.0.0.1:8080/}. */
  public URI url() {
    return server.url();
  }

  /** The port it listens on (the one picked when {@link UiOptions#port()} is 0). */
  public int port() {
    return server.port();
  }

  /** Stops the server, its journal reader and its Kafka clients; waits for a replay in progress. */
  @Override
  public void close() {
    server.close();
  }
}
