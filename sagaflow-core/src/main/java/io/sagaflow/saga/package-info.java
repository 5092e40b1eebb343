/**
 * Sagas on Kafka: straight-line Java sagas whose effects pass a middleware chain.
 *
 * <p>A {@link io.sagaflow.saga.Saga} runs once per triggering {@link io.sagaflow.saga.Action} on a
 * virtual thread and performs effects through its {@link io.sagaflow.saga.SagaContext}:
 * {@code put}, {@code actionChannel}, {@code take}, {@code call}, {@code all}, {@code race} and
 * {@code delay}. Effects are immutable records ({@link io.sagaflow.saga.Effect}), built without
 * running by {@link io.sagaflow.saga.Effects} and intercepted by
 * {@link io.sagaflow.saga.SagaMiddleware}. Every action carries a transaction id; puts propagate
 * it and takes only see their own transaction's actions. The wire format is the
 * {@code kafka-sagas} npm package's ({@link io.sagaflow.saga.ActionCodec}).
 *
 * <p>Start with {@link io.sagaflow.saga.Sagas#runtime(io.sagaflow.saga.SagaOptions)}; test sagas
 * without Kafka with {@code io.sagaflow.testkit.SagaTester}.
 *
 * <pre>{@code
 * Saga<Order> orderSaga = (action, ctx) -> {
 *   ActionChannel<Pizza> pizzas = ctx.actionChannel("PIZZA_CREATE_SUCCESS", Pizza.class);
 *   ctx.put("PIZZA_CREATE", action.payload());
 *   Branch<Action<Pizza>> pizza = Branch.of("pizza", Effects.take(pizzas));
 *   RaceResult r = ctx.race(pizza, Branch.of("timeout", Effects.delay(Duration.ofSeconds(30))));
 *   ctx.put(r.won(pizza) ? "ORDER_READY" : "ORDER_LATE", action.payload());
 * };
 * }</pre>
 *
 * <p>{@code ctx.call(fn, a, b)} calls a typed function ({@link io.sagaflow.saga.CallFn}) and throws
 * what it throws; {@link io.sagaflow.saga.Saga#withContext} gives a saga a typed user context
 * built from its action.
 */
package io.sagaflow.saga;
