package io.sagaflow.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Builds effects without performing them, mainly to combine them with {@link #all} and
 * {@link #race}; {@link SagaContext} has a performing method for each.
 *
 * <pre>{@code
 * RaceResult r = ctx.race(Map.of(
 *     "reply", Effects.take(replies),
 *     "timeout", Effects.delay(Duration.ofSeconds(5))));
 * }</pre>
 */
public final class Effects {
  private Effects() {}

  /** A put of {@code payload} to {@code topic}. */
  public static Put put(String topic, Object payload) {
    return new Put(topic, payload, Map.of());
  }

  /** A put with extra headers. */
  public static Put put(String topic, Object payload, Map<String, byte[]> headers) {
    return new Put(topic, payload, headers);
  }

  /** Opens a channel on one topic. */
  public static ActionChannelOpen<JsonNode> actionChannel(String topic) {
    return new ActionChannelOpen<>(ActionPattern.of(topic), null);
  }

  /** Opens a channel on several topics. */
  public static ActionChannelOpen<JsonNode> actionChannel(List<String> topics) {
    return new ActionChannelOpen<>(ActionPattern.anyOf(topics), null);
  }

  /** Opens a channel on a pattern. */
  public static <P> ActionChannelOpen<P> actionChannel(ActionPattern<P> pattern) {
    return new ActionChannelOpen<>(pattern, null);
  }

  /** Opens a channel on a pattern with the given buffer. */
  public static <P> ActionChannelOpen<P> actionChannel(ActionPattern<P> pattern,
      ActionChannelBuffer<Action<P>> buffer) {
    return new ActionChannelOpen<>(pattern, buffer);
  }

  /** A take from a channel. */
  public static <P> Take<P> take(ActionChannel<P> channel) {
    return new Take<>(channel, null);
  }

  /** A take of the next action on {@code topic}. */
  public static Take<JsonNode> take(String topic) {
    return new Take<>(null, ActionPattern.of(topic));
  }

  /** A take of the next action on any of {@code topics}. */
  public static Take<JsonNode> take(List<String> topics) {
    return new Take<>(null, ActionPattern.anyOf(topics));
  }

  /** A take of the next action matching {@code pattern}. */
  public static <P> Take<P> take(ActionPattern<P> pattern) {
    return new Take<>(null, pattern);
  }

  /** A call of a plain function. */
  public static <R> Call<R> call(Callable<R> fn) {
    return call("call", fn);
  }

  /** A named call of a plain function (the name is what middleware and stubs see). */
  public static <R> Call<R> call(String name, Callable<R> fn) {
    return new Call<>(name, List.of(), (args, ctx) -> CompletableFuture.completedFuture(fn.call()));
  }

  /** A call of a one-argument function. */
  public static <A, R> Call<R> call(SagaFunction<A, R> fn, A arg) {
    return call("call", fn, arg);
  }

  /** A named call of a one-argument function. */
  public static <A, R> Call<R> call(String name, SagaFunction<A, R> fn, A arg) {
    return new Call<>(name, singleton(arg), (args, ctx) -> CompletableFuture.completedFuture(fn.apply(arg)));
  }

  /** A call of a function returning a stage, which is awaited (and cancelled with the call). */
  public static <R> Call<R> callAsync(String name, Callable<? extends CompletionStage<R>> fn) {
    return new Call<>(name, List.of(), (args, ctx) -> fn.call());
  }

  /** A call of a one-argument function returning a stage, which is awaited. */
  public static <A, R> Call<R> callAsync(String name, SagaFunction<A, ? extends CompletionStage<R>> fn, A arg) {
    return new Call<>(name, singleton(arg), (args, ctx) -> fn.apply(arg));
  }

  /**
   * A call of another saga with {@code payload}: it sees the caller's topic, transaction id and
   * headers, its effects pass the same middleware, and its result comes back.
   */
  public static <A, R> Call<R> callSaga(ReturningSaga<A, R> saga, A payload) {
    return callSaga(saga.getClass().getSimpleName(), saga, payload);
  }

  /** A named call of another saga. */
  public static <A, R> Call<R> callSaga(String name, ReturningSaga<A, R> saga, A payload) {
    return new Call<>(name, singleton(payload), (args, ctx) -> {
      Action<A> action = new Action<>(ctx.action().topic(), ctx.transactionId(), payload, ctx.headers());
      return CompletableFuture.completedFuture(saga.run(action, ctx));
    });
  }

  /** A call of another saga that returns nothing. */
  public static <A> Call<Void> callSaga(Saga<A> saga, A payload) {
    return callSaga(saga.getClass().getSimpleName(), (ReturningSaga<A, Void>) (action, ctx) -> {
      saga.run(action, ctx);
      return null;
    }, payload);
  }

  /** All of {@code effects}; the result is a {@code List<Object>} in order. */
  public static All all(List<? extends Effect<?>> effects) {
    return new All(indexed(effects), false);
  }

  /** All of {@code effects}; the result is a {@code List<Object>} in order. */
  public static All all(Effect<?>... effects) {
    return all(Arrays.asList(effects));
  }

  /** All of {@code effects}; the result is a {@code Map<String, Object>} with the same keys. */
  public static All all(Map<String, ? extends Effect<?>> effects) {
    return new All(All.copy(effects), true);
  }

  /** A race of {@code effects}; the winner's key is its index. */
  public static Race race(List<? extends Effect<?>> effects) {
    return new Race(indexed(effects), false);
  }

  /** A race of {@code effects}; the winner's key is its index. */
  public static Race race(Effect<?>... effects) {
    return race(Arrays.asList(effects));
  }

  /** A race of {@code effects} by key. */
  public static Race race(Map<String, ? extends Effect<?>> effects) {
    return new Race(All.copy(effects), true);
  }

  /** A delay returning null. */
  public static Delay<Void> delay(Duration duration) {
    return new Delay<>(duration, null);
  }

  /** A delay returning {@code value}. */
  public static <T> Delay<T> delay(Duration duration, T value) {
    return new Delay<>(duration, value);
  }

  /** Reads the current time (an effect, so tests and replays control it). */
  public static Now now() {
    return new Now();
  }

  /** Generates a random UUID (an effect, so tests and replays control it). */
  public static Uuid uuid() {
    return new Uuid();
  }

  private static Map<String, Effect<?>> indexed(List<? extends Effect<?>> effects) {
    Map<String, Effect<?>> map = new LinkedHashMap<>();
    for (int i = 0; i < effects.size(); i++) {
      map.put(Integer.toString(i), effects.get(i));
    }
    return map;
  }

  private static List<Object> singleton(Object arg) {
    List<Object> list = new ArrayList<>(1);
    list.add(arg);
    return list;
  }
}
