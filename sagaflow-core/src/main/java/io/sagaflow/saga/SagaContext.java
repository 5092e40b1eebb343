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
 * saga's exception, or {@link SagaCancelledException} when the saga or branch was cancelled.
 * Checked exceptions come wrapped in {@link SagaException} ({@code getCause()} unwraps), except
 * those a function called with {@link #call(CallFn.F1, Object) call} throws: those are thrown as
 * they are.
 */
public interface SagaContext {

  /**
   * What {@link #version} returns to a durable run whose journal was written by code without the
   * marker: the code as it was before the marker was added.
   */
  int DEFAULT_VERSION = -1;

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

  /**
   * The user context the runtime's record-based context factory built for this run, or null. For a
   * typed context built from the action, see {@link Saga#withContext}.
   */
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

  /**
   * Opens a channel on {@code topic}. The channel is positioned when this returns: every action of
   * this transaction written to {@code topic} from then on is buffered, however long before the
   * saga takes it. Open the channel before the put that causes a reply.
   */
  default ActionChannel<JsonNode> actionChannel(String topic) {
    return perform(Effects.actionChannel(topic));
  }

  /**
   * Opens a channel on {@code topic} whose payloads are converted to {@code payloadType}; buffering
   * starts before this returns.
   */
  default <P> ActionChannel<P> actionChannel(String topic, Class<P> payloadType) {
    return perform(Effects.actionChannel(topic, payloadType));
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

  /**
   * The next action of this transaction on {@code topic}. The take listens from the moment it
   * starts: it subscribes (for Kafka: the reply consumer is assigned and positioned on the topic)
   * before it waits, and sees every action written after that, none written before. A reply to a
   * put made before this take can therefore be missed: open an {@link #actionChannel(String)}
   * before the put instead. Tests wait for the subscription with the testkit's
   * {@code SubscriptionProbe} rather than sleeping.
   */
  default Action<JsonNode> take(String topic) {
    return perform(Effects.take(topic));
  }

  /**
   * The next action on {@code topic}, payload converted to {@code payloadType}; listens as
   * {@link #take(String)} does.
   */
  default <P> Action<P> take(String topic, Class<P> payloadType) {
    return perform(Effects.take(topic, payloadType));
  }

  /** The next action on any of {@code topics}. */
  default Action<JsonNode> take(List<String> topics) {
    return perform(Effects.take(topics));
  }

  /** The next action matching {@code pattern}. */
  default <P> Action<P> take(ActionPattern<P> pattern) {
    return perform(Effects.take(pattern));
  }

  /**
   * Calls {@code fn} as an effect (middleware sees it, it gets an effect id) and returns its
   * result. A checked exception {@code fn} throws is thrown here as it was thrown, not wrapped: a
   * method reference to {@code Receipt charge() throws PaymentDeclined} makes this call throw
   * {@code PaymentDeclined}. (A checked exception that a middleware throws instead comes in a
   * {@link SagaException}, whose {@code getCause()} is it.)
   */
  default <R, E extends Exception> R call(CallFn.F0<R, E> fn) throws E {
    return call("call", fn);
  }

  /** {@link #call(CallFn.F0)} with a name, which middleware and {@code SagaTester} stubs see. */
  default <R, E extends Exception> R call(String name, CallFn.F0<R, E> fn) throws E {
    java.util.Objects.requireNonNull(fn, "fn");
    return TypedCalls.perform(this, name, List.of(), fn::apply);
  }

  /** Calls {@code fn(a)}; see {@link #call(CallFn.F0)}. Middleware sees the argument. */
  default <A, R, E extends Exception> R call(CallFn.F1<? super A, R, E> fn, A a) throws E {
    return call("call", fn, a);
  }

  /** Calls {@code fn(a)} under {@code name}. */
  default <A, R, E extends Exception> R call(String name, CallFn.F1<? super A, R, E> fn, A a) throws E {
    java.util.Objects.requireNonNull(fn, "fn");
    return TypedCalls.perform(this, name, TypedCalls.args(a), () -> fn.apply(a));
  }

  /**
   * Calls {@code fn(a, b)}, the npm package's {@code callFn(fn, [a, b])}; see
   * {@link #call(CallFn.F0)}.
   *
   * <pre>{@code
   * Receipt r = ctx.call(payments::charge, order.card(), order.cents());
   * }</pre>
   */
  default <A, B, R, E extends Exception> R call(CallFn.F2<? super A, ? super B, R, E> fn, A a, B b) throws E {
    return call("call", fn, a, b);
  }

  /** Calls {@code fn(a, b)} under {@code name}. */
  default <A, B, R, E extends Exception> R call(String name, CallFn.F2<? super A, ? super B, R, E> fn, A a, B b)
      throws E {
    java.util.Objects.requireNonNull(fn, "fn");
    return TypedCalls.perform(this, name, TypedCalls.args(a, b), () -> fn.apply(a, b));
  }

  /** Calls {@code fn(a, b, c)}; see {@link #call(CallFn.F0)}. */
  default <A, B, C, R, E extends Exception> R call(CallFn.F3<? super A, ? super B, ? super C, R, E> fn, A a, B b,
      C c) throws E {
    return call("call", fn, a, b, c);
  }

  /** Calls {@code fn(a, b, c)} under {@code name}. */
  default <A, B, C, R, E extends Exception> R call(String name,
      CallFn.F3<? super A, ? super B, ? super C, R, E> fn, A a, B b, C c) throws E {
    java.util.Objects.requireNonNull(fn, "fn");
    return TypedCalls.perform(this, name, TypedCalls.args(a, b, c), () -> fn.apply(a, b, c));
  }

  /** Calls {@code fn(a, b, c, d)}; see {@link #call(CallFn.F0)}. */
  default <A, B, C, D, R, E extends Exception> R call(
      CallFn.F4<? super A, ? super B, ? super C, ? super D, R, E> fn, A a, B b, C c, D d) throws E {
    return call("call", fn, a, b, c, d);
  }

  /** Calls {@code fn(a, b, c, d)} under {@code name}. */
  default <A, B, C, D, R, E extends Exception> R call(String name,
      CallFn.F4<? super A, ? super B, ? super C, ? super D, R, E> fn, A a, B b, C c, D d) throws E {
    java.util.Objects.requireNonNull(fn, "fn");
    return TypedCalls.perform(this, name, TypedCalls.args(a, b, c, d), () -> fn.apply(a, b, c, d));
  }

  /**
   * A key naming the call effect in progress, the same every time this run performs it again (a
   * durable saga resumed after a crash calls again a call whose result was not journaled yet):
   * pass it to the callee so that it can deduplicate. It is {@code "<run key>/<effect id>"}: the
   * run key is unique per run (in durable mode the input record's topic, partition and offset; for
   * a run that is not durable, its transaction id), the effect id the call's deterministic id.
   * Call it inside the function that {@code call} runs, on its thread:
   *
   * <pre>{@code
   * Receipt r = ctx.call("charge", () -> payments.charge(card, cents, ctx.idempotencyKey()));
   * }</pre>
   *
   * @throws IllegalStateException when no call of this run is in progress on this thread
   */
  default String idempotencyKey() {
    throw new UnsupportedOperationException(getClass().getName() + " does not implement idempotencyKey()");
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

  /**
   * Performs {@code branches} concurrently and returns their results, read typed by branch. If one
   * fails, the others are cancelled and its exception is thrown (a call's checked exception inside
   * a {@link SagaException}).
   *
   * <p>Branches that take from one channel claim its actions in declaration order, here and in
   * {@code race}: in {@code all(take(ch), take(ch))} the first branch gets the first action, on
   * every run. Each branch starts once the one before it has claimed from a channel or started an
   * effect that may wait (a put, a call, a delay); nested forks claim depth-first.
   *
   * <pre>{@code
   * Branch<Receipt> paid = Branch.of("paid", Effects.call(payments::charge, card, cents));
   * Branch<Action<Slot>> slot = Branch.of("slot", Effects.take(slots));
   * AllResult r = ctx.all(paid, slot);
   * Receipt receipt = r.get(paid);
   * }</pre>
   */
  default AllResult all(Branch<?>... branches) {
    @SuppressWarnings("unchecked")
    Map<String, Object> results = (Map<String, Object>) perform(Effects.all(branches));
    return new AllResult(results);
  }

  /**
   * Performs {@code effects} concurrently and returns their results in order: for a number of
   * effects known only at run time. Effects of one result type give a list of that type.
   */
  @SuppressWarnings("unchecked")
  default <T> List<T> all(List<? extends Effect<? extends T>> effects) {
    return (List<T>) perform(Effects.all(effects));
  }

  /**
   * Performs {@code effects} concurrently and returns their results by key. Branches that take
   * from one channel claim its actions in the map's iteration order (see
   * {@link #all(Branch...)}): pass a {@link java.util.LinkedHashMap}, since {@code Map.of} has no
   * defined order.
   */
  @SuppressWarnings("unchecked")
  default <T> Map<String, T> all(Map<String, ? extends Effect<? extends T>> effects) {
    return (Map<String, T>) perform(Effects.all(effects));
  }

  /**
   * Races {@code branches}: the first to finish wins and the others are cancelled (a cancelled
   * take consumes nothing). Read the winner typed with {@link RaceResult#won(Branch)} and
   * {@link RaceResult#value(Branch)}.
   *
   * <pre>{@code
   * Branch<Action<Pizza>> baked = Branch.of("baked", Effects.take(pizzas));
   * Branch<Void> timeout = Branch.of("timeout", Effects.delay(Duration.ofSeconds(30)));
   * RaceResult r = ctx.race(baked, timeout);
   * if (r.won(baked)) {
   *   ctx.put("ORDER_READY", r.value(baked).payload());
   * }
   * }</pre>
   */
  default RaceResult race(Branch<?>... branches) {
    return perform(Effects.race(branches));
  }

  /** Races {@code effects}, for a number known only at run time; the winner's key is its index. */
  default RaceResult race(List<? extends Effect<?>> effects) {
    return perform(Effects.race(effects));
  }

  /**
   * Races {@code effects} by key; losers are cancelled. Branches claim from a shared channel in
   * the map's iteration order ({@code Map.of} has none: use a {@link java.util.LinkedHashMap}).
   */
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

  /**
   * A version marker, for changing the code of a durable saga while runs of the old code are in
   * flight (Temporal's {@code getVersion}): branch on what it returns, so that a run rebuilt from
   * its journal performs the effects its journal holds, and new runs follow the new code.
   *
   * <pre>{@code
   * // was: ctx.put("CHARGE", order);
   * int v = ctx.version("fraud-check", SagaContext.DEFAULT_VERSION, 1);
   * if (v >= 1) {
   *   ctx.call("fraud", () -> fraud.check(order));
   * }
   * ctx.put("CHARGE", order);
   * }</pre>
   *
   * <p>In a durable run it returns:
   *
   * <ul>
   *   <li>{@code maxSupported}, journaled under {@code changeId}, when the run reaches the marker
   *       for the first time;
   *   <li>the journaled version when the run is rebuilt (replayed) after that;
   *   <li>{@link #DEFAULT_VERSION} when the run is rebuilt from a journal written by code without
   *       this marker that went past this point (it journaled effects that follow it), so that the
   *       old branch performs the effects the journal holds. (A journal that stops before this point
   *       gets {@code maxSupported}: nothing journaled depends on the old branch.) This too is
   *       journaled.
   * </ul>
   *
   * A marker is not an effect: middleware does not see it, and it takes no effect id, so adding
   * one shifts no journaled effect. It is kept per run by change id: calling it again with the same
   * id (in this run, a called saga or a branch) returns the same version. Once no run older than
   * version {@code n} is in flight, raise {@code minSupported} to {@code n} and drop the older
   * branches. A saga that is not durable has no journal to keep in step: it gets
   * {@code maxSupported}.
   *
   * @param changeId names the change (not blank); one id per change, not per saga version
   * @param minSupported the oldest version the code still handles, {@link #DEFAULT_VERSION} while
   *     runs journaled without the marker may be in flight
   * @param maxSupported the newest version, which new runs follow (0 or more)
   * @return the version this run follows, between the two
   * @throws IllegalArgumentException if the id is blank or the bounds are out of order
   * @throws IllegalStateException if the run follows a version outside the bounds (its journal
   *     was written by code that has been removed); a durable saga then goes to the dead-letter
   *     topic, as for a non-determinism error
   */
  default int version(String changeId, int minSupported, int maxSupported) {
    if (changeId == null || changeId.isBlank()) {
      throw new IllegalArgumentException("a version marker needs a change id naming the change, not \""
          + changeId + "\"");
    }
    if (minSupported < DEFAULT_VERSION || maxSupported < 0 || minSupported > maxSupported) {
      throw new IllegalArgumentException("version marker " + changeId + ": need DEFAULT_VERSION (-1) <= minSupported ("
          + minSupported + ") <= maxSupported (" + maxSupported + ") and maxSupported >= 0");
    }
    return maxSupported;
  }

  /**
   * Registers an undo step for what the saga just did. If the saga then throws (anything but
   * {@link SagaCancelledException}), the registered steps run before its failure is reported, in
   * reverse order of registration, as set by {@link #compensationOptions}; their failures are added
   * to the saga's exception as suppressed exceptions, followed by a {@link CompensationException}
   * saying how compensation went. {@link #compensate()} runs them earlier, on request.
   *
   * <pre>{@code
   * Receipt receipt = ctx.call(payments::charge, order.card(), order.cents());
   * ctx.addCompensation(c -> c.call(payments::refund, receipt));
   * ctx.put("KITCHEN_ORDER", order);
   * ctx.addCompensation(Effects.put("KITCHEN_CANCEL", order.id()));
   * ctx.take("KITCHEN_ACCEPTED");   // throws? the kitchen order is cancelled, then the card refunded
   * }</pre>
   *
   * <p>Registration is not an effect: it gets no effect id. Each step runs as an effect of its
   * own, through the middleware, with a deterministic id ({@code compensate/<n>/<step>}), so a
   * journal records every step that ran. Inside an {@code all}, a branch's registrations join its
   * parent's list when the {@code all} ends, in the order the branches are declared (also when
   * it fails: what a branch did before it was cancelled still needs undoing). Inside a
   * {@code race}, the winner's registrations join its parent's list; a loser's steps run as soon as
   * the race is decided, since the saga goes on as if the loser had not run. A called saga shares
   * its caller's list. A step cannot register steps.
   *
   * @param step the undo step; it receives a context for its effects
   * @throws IllegalStateException if called from inside a compensation step
   */
  void addCompensation(Compensation step);

  /**
   * Registers an effect (for example {@code Effects.put("ORDER_CANCELLED", id)}) as an undo step;
   * see {@link #addCompensation(Compensation)}.
   */
  void addCompensation(Effect<?> step);

  /**
   * Runs the registered steps now, as {@link #compensationOptions} says, and clears them: for a
   * saga that decides to roll back without failing. Inside an all/race branch, the steps are that
   * branch's own (and those joined from forks inside it).
   *
   * @throws CompensationException if a step failed (the others ran if {@code continueOnFailure})
   */
  void compensate();

  /** {@link #compensate()} with {@code options} for this time only. */
  void compensate(CompensationOptions options);

  /**
   * Forgets the registered steps, for example after a point of no return; steps registered from
   * then on are kept as usual.
   */
  void clearCompensations();

  /**
   * Sets how this run's compensation steps run, on failure and for {@link #compensate()}; the
   * default is {@link CompensationOptions#DEFAULT}.
   */
  void compensationOptions(CompensationOptions options);
}
