package io.sagaflow.saga.internal;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.saga.ActionSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-memory stand-in for Kafka: every published action is recorded and delivered, like a reply
 * consumer would, to the subscriptions of its transaction on its topic. Used by tests and the
 * {@code SagaTester}.
 */
public final class LoopbackBus implements ActionPublisher, ActionSource {
  private final List<Action<?>> published = new CopyOnWriteArrayList<>();
  private final Map<String, List<Sub>> subscriptions = new ConcurrentHashMap<>();
  private final List<Consumer<Action<?>>> publishListeners = new CopyOnWriteArrayList<>();

  private record Sub(Set<String> topics, Consumer<Action<?>> sink, List<Sub> owner) implements Subscription {
    @Override
    public void close() {
      owner.remove(this);
    }
  }

  @Override
  public CompletableFuture<Void> publish(Action<?> action) {
    published.add(action);
    publishListeners.forEach(l -> l.accept(action));
    deliver(action);
    return CompletableFuture.completedFuture(null);
  }

  /** Delivers {@code action} to matching subscriptions without recording it as published. */
  public void deliver(Action<?> action) {
    List<Sub> subs = subscriptions.get(action.transactionId());
    if (subs != null) {
      for (Sub s : subs) {
        if (s.topics().contains(action.topic())) {
          s.sink().accept(action);
        }
      }
    }
  }

  @Override
  public Subscription subscribe(String transactionId, Set<String> topics, Consumer<Action<?>> sink) {
    List<Sub> subs = subscriptions.computeIfAbsent(transactionId, k -> new CopyOnWriteArrayList<>());
    Sub sub = new Sub(Set.copyOf(topics), sink, subs);
    subs.add(sub);
    return sub;
  }

  @Override
  public void close() {
    subscriptions.clear();
  }

  /** Calls {@code listener} with every published action, before it is delivered. */
  public void onPublish(Consumer<Action<?>> listener) {
    publishListeners.add(listener);
  }

  /** Every action published so far, in order. */
  public List<Action<?>> published() {
    return new ArrayList<>(published);
  }

  /** Whether a subscription of {@code transactionId} covers {@code topic}. */
  public boolean hasSubscriber(String transactionId, String topic) {
    List<Sub> subs = subscriptions.get(transactionId);
    return subs != null && subs.stream().anyMatch(s -> s.topics().contains(topic));
  }
}
