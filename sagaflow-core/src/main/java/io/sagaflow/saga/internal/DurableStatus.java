package io.sagaflow.saga.internal;

import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.processor.internal.ConnectionWatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * What a durable saga consumer's {@code status()} reports, and the lifecycle flags it reads: the
 * last error, whether journal transactions fail, the assignment, closing and stopped, and a
 * {@link ConnectionWatch} (does a broker answer: DISCONNECTED), as in a Processor.
 *
 * <p>Threading. The loop thread writes the errors, the assignment and the connection observations
 * and marks the end of the loop; the thread that closes or halts the consumer marks it closing;
 * any thread may call {@link #status}. Every field is volatile (the watch is safe for status calls
 * by itself), and nothing here touches the Kafka consumer.
 */
final class DurableStatus {
  private final String topic;
  private final String journalTopic;
  private final String bootstrapServers;
  private final Duration connectionTimeout;
  private final ConnectionWatch connection;
  /** The last failed journal transaction, or the error that stopped the loop. */
  private volatile Throwable lastError;
  /** Whether the last journal transaction failed (cleared by the next one that commits). */
  private volatile boolean commitFailing;
  private volatile Set<TopicPartition> assignedPartitions = Set.of();
  private volatile boolean assigned;
  private volatile boolean closing;
  private volatile boolean stopped;

  DurableStatus(String topic, String journalTopic, String bootstrapServers, Duration connectionTimeout) {
    this.topic = topic;
    this.journalTopic = journalTopic;
    this.bootstrapServers = bootstrapServers;
    this.connectionTimeout = connectionTimeout;
    this.connection = new ConnectionWatch(connectionTimeout.toNanos(), () -> { });
  }

  /** The loop thread observes it (opening, start, after each poll); status calls read it. */
  ConnectionWatch connection() {
    return connection;
  }

  /** Loop thread: an error to report (a restore that failed, or the one that stopped the loop). */
  void error(Throwable e) {
    lastError = e;
  }

  /** Loop thread: a journal transaction, or the rebuild after one, failed with {@code e}. */
  void commitFailed(Throwable e) {
    lastError = e;
    commitFailing = true;
  }

  /** Loop thread: a journal transaction committed. */
  void committed() {
    commitFailing = false;
  }

  /** Loop thread: the assignment after a rebalance. */
  void assigned(Set<TopicPartition> partitions) {
    assignedPartitions = Set.copyOf(partitions);
    assigned = !assignedPartitions.isEmpty();
  }

  boolean isAssigned() {
    return assigned;
  }

  /** A closing or halting thread: the loop is to stop. */
  void closing() {
    closing = true;
  }

  boolean isClosing() {
    return closing;
  }

  /** Loop thread: the loop has ended (it shuts its clients down next). */
  void stopped() {
    stopped = true;
  }

  /**
   * The consumer's state for health checks: DISCONNECTED and DOWN while no broker has answered for
   * the connection timeout; DOWN while journal transactions fail (each failure rebuilds the sagas
   * from the journal) or after the loop stopped on an error. {@code inFlight} counts the
   * {@code resident} sagas; stalled records and buffered bytes are not tracked here.
   */
  ProcessorStatus status(int resident) {
    Throwable error = lastError;
    boolean failedLoop = stopped && !closing && error != null;
    List<String> problems = new ArrayList<>();
    if (failedLoop) {
      problems.add("the durable saga consumer of " + topic + " stopped: " + error + "; its sagas resume on the "
          + "group's next owner; restart this consumer");
    } else if (!stopped && !closing && connection.disconnected(System.nanoTime())) {
      problems.add("cannot reach the Kafka cluster at " + bootstrapServers + ": no broker has answered the durable saga"
          + " consumer of " + topic + " for " + connectionTimeout.toSeconds() + " s (connectionTimeout); check"
          + " bootstrap.servers, the network, and that security.protocol matches the listener; its sagas wait and"
          + " nothing is lost");
    } else if (commitFailing && error != null) {
      problems.add("journal transactions to " + journalTopic + " fail: " + error + "; sagas are rebuilt from the "
          + "journal after each failure; check that the journal topic accepts transactional writes");
    }
    ProcessorStatus.State state = failedLoop ? ProcessorStatus.State.FAILED
        : stopped ? ProcessorStatus.State.CLOSED
        : closing ? ProcessorStatus.State.CLOSING
        : connection.disconnected(System.nanoTime()) ? ProcessorStatus.State.DISCONNECTED
        : ProcessorStatus.State.RUNNING;
    return new ProcessorStatus(state, assignedPartitions, Set.of(), Set.of(), resident, 0, Map.of(),
        Optional.ofNullable(error), List.of(), problems.isEmpty() ? ProcessorStatus.Health.UP
            : ProcessorStatus.Health.DOWN, problems);
  }
}
