package io.sagaflow.testkit;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Lets a test wait until a saga listens, instead of sleeping: an {@link ActionSource} wrapper that
 * records which transaction listens on which topics.
 *
 * <p>A {@code take(topic)} or an {@code actionChannel} sees only the actions written after it
 * subscribed. The subscription returns once the reply consumer is assigned and positioned on the
 * topics, so once {@link #awaitListening} returns, an action the test writes is seen by the saga.
 *
 * <pre>{@code
 * SubscriptionProbe probe = SubscriptionProbe.kafka(options);
 * try (SagaRuntime runtime = probe.runtime(options)) {
 *   CompletableFuture<Void> run = runtime.run(saga, Action.of("ORDER", "tx-1", order)); // saga: ctx.take("REPLY")
 *   probe.awaitListening("tx-1", "REPLY");
 *   producer.send(replyRecord);                     // seen by the take, with no warm-up or sleep
 *   run.join();
 * }
 * }</pre>
 */
public final class SubscriptionProbe implements ActionSource {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private final ActionSource delegate;
  /** The open subscriptions; guarded by this. */
  private final List<Listening> open = new ArrayList<>();

  private record Listening(String transactionId, Set<String> topics) {}

  private SubscriptionProbe(ActionSource delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** A probe on {@code source}. */
  public static SubscriptionProbe of(ActionSource source) {
    return new SubscriptionProbe(source);
  }

  /** A probe on the Kafka reply consumer of {@code options} ({@link Sagas#kafkaSource}). */
  public static SubscriptionProbe kafka(SagaOptions options) {
    return new SubscriptionProbe(Sagas.kafkaSource(options));
  }

  /**
   * A Kafka runtime of {@code options} whose takes and channels go through this probe; closing the
   * runtime closes the probe.
   */
  public SagaRuntime runtime(SagaOptions options) {
    return Sagas.runtime(options, Sagas.kafkaPublisher(options), this);
  }

  @Override
  public Subscription subscribe(String transactionId, Set<String> topics, Consumer<Action<?>> sink) {
    Subscription inner = delegate.subscribe(transactionId, topics, sink);
    // Recorded only once the delegate returned: that is when the subscription is positioned.
    Listening listening = new Listening(transactionId, Set.copyOf(topics));
    synchronized (this) {
      open.add(listening);
      notifyAll();
    }
    return () -> {
      synchronized (this) {
        open.remove(listening);
        notifyAll();
      }
      inner.close();
    };
  }

  /** Whether {@code transactionId} has a positioned subscription on {@code topic} now. */
  public synchronized boolean isListening(String transactionId, String topic) {
    for (Listening l : open) {
      if (l.transactionId().equals(transactionId) && l.topics().contains(topic)) {
        return true;
      }
    }
    return false;
  }

  /** {@link #awaitListening(String, String, Duration)} with a 60-second timeout. */
  public void awaitListening(String transactionId, String topic) {
    awaitListening(transactionId, topic, DEFAULT_TIMEOUT);
  }

  /**
   * Waits until a take or a channel of {@code transactionId} listens on {@code topic} (its
   * subscription is positioned), without polling.
   *
   * @throws AssertionError if that does not happen within {@code timeout}, naming what listens
   */
  public synchronized void awaitListening(String transactionId, String topic, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!isListening(transactionId, topic)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("transaction " + transactionId + " did not start listening on " + topic
              + " within " + timeout + "; listening now: " + open);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + transactionId + " to listen on " + topic, e);
    }
  }

  @Override
  public void close() {
    delegate.close();
  }
}
