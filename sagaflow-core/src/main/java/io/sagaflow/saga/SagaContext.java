package io.sagaflow.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;

/**
 * What a saga sees of its run: the base context (transaction id, headers, logger, the input record
 * if any), the user context built by the runtime's context factory, and methods that build an
 * effect and perform it through the middleware chain, returning its result.
 *
 * <p>Effects throw what failed: an effect's own exception, a middleware's exception, a called
 * function's or saga's exception (checked ones wrapped in {@link SagaException}), or
 * {@link SagaCancelledException} when the saga or branch was cancelled.
 */
public interface SagaContext {

  /** The transaction id every action of this run carries. */
  String transactionId();

  /** The triggering action (for a called saga, the action it was called with). */
  Action<?> action();

  /** The triggering action's headers, carried along on every put. */
  default Map<String, byte[]> headers() {
    return action().headers();
  }

  /**
   * A logger for the saga. Saga threads carry the transaction id in the SLF4J MDC under
   * {@code sagaflow.transactionId}.
   */
  Logger logger();

  /** The Kafka record that triggered the run, if it came from Kafka. */
  Optional<ConsumerRecord<byte[], byte[]>> record();

  /** The user context the runtime's context factory built for this run, or null. */
  Object userContext();

  /**
   * The user context as {@code type}.
   *
   * @throws IllegalStateException if there is none or it has another type
   */
  default <C> C userContext(Class<C> type) {
    Object c = userContext();
    if (!type.isInstance(c)) {
      throw new IllegalStateException("the saga's user context is " + (c == null ? "absent"
          : "a " + c.getClass().getName()) + ", not a " + type.getName()
          + "; configure SagaOptions.withContextFactory to build one");
    }
    return type.cast(c);
  }

  /** Performs {@code effect} through the middleware chain and returns its result. */
  <R> R perform(Effect<R> effect);

  /** Puts {@code payload} to {@code topic}; returns once acknowledged. */
  default void put(String topic, Object payload) {
    perform(Effects.put(topic, payload));
  }

  /** Puts with extra headers. */
  default void put(String topic, Object payload, Map<String, byte[]> headers) {
    perform(Effects.put(topic, payload, headers));
  }

  /** Opens a channel on {@code topic}; buffering starts before this returns. */
  default ActionChannel<JsonNode> actionChannel(String topic) {
    return perform(Effects.actionChannel(topic));
  }

  /** Opens a channel on several topics. */
  default ActionChannel<JsonNode> actionChannel(List<String> topics) {
    return perform(Effects.actionChannel(topics));
  }

  /** Opens a channel on a pattern. */
  default <P> ActionChannel<P> actionChannel(ActionPattern<P> pattern) {
    return perform(Effects.actionChannel(pattern));
  }

  /** Opens a channel on a pattern with the given buffer. */
  default <P> ActionChannel<P> actionChannel(ActionPattern<P> pattern, ActionChannelBuffer<Action<P>> buffer) {
    return perform(Effects.actionChannel(pattern, buffer));
  }

  /** The oldest buffered action of {@code channel}, or the next one. */
  default <P> Action<P> take(ActionChannel<P> channel) {
    return perform(Effects.take(channel));
  }

  /** The next action on {@code topic}. */
  default Action<JsonNode> take(String topic) {
    return perform(Effects.take(topic));
  }

  /** The next action on any of {@code topics}. */
  default Action<JsonNode> take(List<String> topics) {
    return perform(Effects.take(topics));
  }

  /** The next action matching {@code pattern}. */
  default <P> Action<P> take(ActionPattern<P> pattern) {
    return perform(Effects.take(pattern));
  }

  /** Calls a plain function. */
  default <R> R call(Callable<R> fn) {
    return perform(Effects.call(fn));
  }

  /** Calls a named plain function. */
  default <R> R call(String name, Callable<R> fn) {
    return perform(Effects.call(name, fn));
  }

  /** Calls a one-argument function. */
  default <A, R> R call(SagaFunction<A, R> fn, A arg) {
    return perform(Effects.call(fn, arg));
  }

  /** Calls a named one-argument function. */
  default <A, R> R call(String name, SagaFunction<A, R> fn, A arg) {
    return perform(Effects.call(name, fn, arg));
  }

  /** Calls a function returning a stage and awaits it. */
  default <R> R callAsync(String name, Callable<? extends CompletionStage<R>> fn) {
    return perform(Effects.callAsync(name, fn));
  }

  /** Calls another saga and returns its result; its exception is thrown here. */
  default <A, R> R callSaga(ReturningSaga<A, R> saga, A payload) {
    return perform(Effects.callSaga(saga, payload));
  }

  /** Calls another saga that returns nothing; its exception is thrown here. */
  default <A> void callSaga(Saga<A> saga, A payload) {
    perform(Effects.callSaga(saga, payload));
  }

  /** Performs {@code effects} concurrently and returns their results in order. */
  @SuppressWarnings("unchecked")
  default List<Object> all(List<? extends Effect<?>> effects) {
    return (List<Object>) perform(Effects.all(effects));
  }

  /** Performs {@code effects} concurrently and returns their results by key. */
  @SuppressWarnings("unchecked")
  default Map<String, Object> all(Map<String, ? extends Effect<?>> effects) {
    return (Map<String, Object>) perform(Effects.all(effects));
  }

  /** Races {@code effects}; losers are cancelled. */
  default RaceResult race(List<? extends Effect<?>> effects) {
    return perform(Effects.race(effects));
  }

  /** Races {@code effects} by key; losers are cancelled. */
  default RaceResult race(Map<String, ? extends Effect<?>> effects) {
    return perform(Effects.race(effects));
  }

  /** The current time, as an effect. */
  default java.time.Instant now() {
    return perform(Effects.now());
  }

  /** A random UUID, as an effect. */
  default java.util.UUID uuid() {
    return perform(Effects.uuid());
  }

  /** Waits for {@code duration}. */
  default void delay(Duration duration) {
    perform(Effects.delay(duration));
  }

  /** Waits for {@code duration}, then returns {@code value}. */
  default <T> T delay(Duration duration, T value) {
    return perform(Effects.delay(duration, value));
  }
}
