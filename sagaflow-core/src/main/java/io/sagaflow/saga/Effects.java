package io.sagaflow.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Builds effects without performing them, mainly to combine them with {@link #all} and
 * {@link #race}; {@link SagaContext} has a performing method for each.
 *
 * <pre>{@code
 * Branch<Action<JsonNode>> reply = Branch.of("reply", Effects.take(replies));
 * Branch<Void> timeout = Branch.of("timeout", Effects.delay(Duration.ofSeconds(5)));
 * RaceResult r = ctx.race(reply, timeout);
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

  /** Opens a channel on one topic, payloads converted to {@code payloadType}. */
  public static <P> ActionChannelOpen<P> actionChannel(String topic, Class<P> payloadType) {
    return new ActionChannelOpen<>(ActionPattern.of(topic, payloadType), null);
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

  /** A take of the next action on {@code topic}, payload converted to {@code payloadType}. */
  public static <P> Take<P> take(String topic, Class<P> payloadType) {
    return new Take<>(null, ActionPattern.of(topic, payloadType));
  }

  /** A take of the next action on any of {@code topics}. */
  public static Take<JsonNode> take(List<String> topics) {
    return new Take<>(null, ActionPattern.anyOf(topics));
  }

  /** A take of the next action matching {@code pattern}. */
  public static <P> Take<P> take(ActionPattern<P> pattern) {
    return new Take<>(null, pattern);
  }

  /**
   * A call of a function of no argument. Performed inside an {@code all} or a {@code race}, a
   * checked exception it throws comes wrapped in a {@link SagaException} ({@code getCause()} is
   * the exception); {@link SagaContext#call(CallFn.F0)} throws it unwrapped.
   */
  public static <R> Call<R> call(CallFn.F0<R, ?> fn) {
    return call("call", fn);
  }

  /** A named call of a function of no argument (the name is what middleware and stubs see). */
  public static <R> Call<R> call(String name, CallFn.F0<R, ?> fn) {
    Objects.requireNonNull(fn, "fn");
    return TypedCalls.effect(name, List.of(), fn::apply);
  }

  /** A call of a one-argument function; see {@link #call(CallFn.F0)} for its exceptions. */
  public static <A, R> Call<R> call(CallFn.F1<? super A, R, ?> fn, A a) {
    return call("call", fn, a);
  }

  /** A named call of a one-argument function. */
  public static <A, R> Call<R> call(String name, CallFn.F1<? super A, R, ?> fn, A a) {
    Objects.requireNonNull(fn, "fn");
    return TypedCalls.effect(name, TypedCalls.args(a), () -> fn.apply(a));
  }

  /** A call of a two-argument function; see {@link #call(CallFn.F0)} for its exceptions. */
  public static <A, B, R> Call<R> call(CallFn.F2<? super A, ? super B, R, ?> fn, A a, B b) {
    return call("call", fn, a, b);
  }

  /** A named call of a two-argument function. */
  public static <A, B, R> Call<R> call(String name, CallFn.F2<? super A, ? super B, R, ?> fn, A a, B b) {
    Objects.requireNonNull(fn, "fn");
    return TypedCalls.effect(name, TypedCalls.args(a, b), () -> fn.apply(a, b));
  }

  /** A call of a three-argument function; see {@link #call(CallFn.F0)} for its exceptions. */
  public static <A, B, C, R> Call<R> call(CallFn.F3<? super A, ? super B, ? super C, R, ?> fn, A a, B b, C c) {
    return call("call", fn, a, b, c);
  }

  /** A named call of a three-argument function. */
  public static <A, B, C, R> Call<R> call(String name, CallFn.F3<? super A, ? super B, ? super C, R, ?> fn,
      A a, B b, C c) {
    Objects.requireNonNull(fn, "fn");
    return TypedCalls.effect(name, TypedCalls.args(a, b, c), () -> fn.apply(a, b, c));
  }

  /** A call of a four-argument function; see {@link #call(CallFn.F0)} for its exceptions. */
  public static <A, B, C, D, R> Call<R> call(CallFn.F4<? super A, ? super B, ? super C, ? super D, R, ?> fn,
      A a, B b, C c, D d) {
    return call("call", fn, a, b, c, d);
  }

  /** A named call of a four-argument function. */
  public static <A, B, C, D, R> Call<R> call(String name,
      CallFn.F4<? super A, ? super B, ? super C, ? super D, R, ?> fn, A a, B b, C c, D d) {
    Objects.requireNonNull(fn, "fn");
    return TypedCalls.effect(name, TypedCalls.args(a, b, c, d), () -> fn.apply(a, b, c, d));
  }

  /** A call of a function returning a stage, which is awaited (and cancelled with the call). */
  public static <R> Call<R> callAsync(String name, Callable<? extends CompletionStage<R>> fn) {
    return new Call<>(name, List.of(), (args, ctx) -> fn.call());
  }

  /** A call of a one-argument function returning a stage, which is awaited. */
  public static <A, R> Call<R> callAsync(String name, CallFn.F1<? super A, ? extends CompletionStage<R>, ?> fn,
      A arg) {
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

  /**
   * All of {@code branches}, keyed by branch; {@link SagaContext#all(Branch...)} performs it and
   * reads the results typed.
   *
   * @throws IllegalArgumentException if two branches share a key
   */
  public static All all(Branch<?>... branches) {
    return new All(keyed(branches), true);
  }

  /**
   * A race of {@code branches}, keyed by branch; read the winner with {@link RaceResult#won} and
   * {@link RaceResult#value(Branch)}.
   *
   * @throws IllegalArgumentException if two branches share a key
   */
  public static Race race(Branch<?>... branches) {
    return new Race(keyed(branches), true);
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

  private static Map<String, Effect<?>> keyed(Branch<?>... branches) {
    Map<String, Effect<?>> map = new LinkedHashMap<>();
    for (Branch<?> b : branches) {
      Objects.requireNonNull(b, "branch");
      if (map.put(b.key(), b.effect()) != null) {
        throw new IllegalArgumentException("two branches are named " + b.key() + "; give each branch of an all or a"
            + " race its own key");
      }
    }
    return map;
  }

  private static List<Object> singleton(Object arg) {
    List<Object> list = new ArrayList<>(1);
    list.add(arg);
    return list;
  }
}
