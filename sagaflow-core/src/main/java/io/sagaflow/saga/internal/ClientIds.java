package io.sagaflow.saga.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Client ids of the clients a saga runtime creates beside the user's: distinct from the user's own
 * {@code client.id} and from other runtimes' in the same JVM, because Kafka registers each client's
 * metrics and JMX beans under its id and two clients with one id clash ("Error registering AppInfo
 * mbean", metrics of one hiding the other's).
 */
final class ClientIds {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private ClientIds() {}

  /** {@code <configured>-<role>}, or {@code sagaflow-<role>-<n>} when none was configured. */
  static String derive(Object configured, String role) {
    if (configured != null && !configured.toString().isBlank()) {
      return configured + "-" + role;
    }
    return "sagaflow-" + role + "-" + SEQUENCE.incrementAndGet();
  }
}
