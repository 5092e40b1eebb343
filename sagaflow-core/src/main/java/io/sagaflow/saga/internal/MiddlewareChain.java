package io.sagaflow.saga.internal;

import io.sagaflow.saga.Effect;
import io.sagaflow.saga.SagaMiddleware;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One link of the middleware chain (OkHttp style): an immutable link per position that may
 * proceed at most once. Past the last middleware the effect goes to the {@link EffectExecutor}.
 * With no middleware there are no links: the effect goes straight to the executor.
 */
final class MiddlewareChain implements SagaMiddleware.Chain {
  private final List<SagaMiddleware> middleware;
  private final EffectExecutor executor;
  private final int index;
  private final Effect<?> effect;
  private final String id;
  private final SagaContextImpl ctx;
  private final AtomicBoolean proceeded = new AtomicBoolean();

  private MiddlewareChain(List<SagaMiddleware> middleware, EffectExecutor executor, int index, Effect<?> effect,
      String id, SagaContextImpl ctx) {
    this.middleware = middleware;
    this.executor = executor;
    this.index = index;
    this.effect = effect;
    this.id = id;
    this.ctx = ctx;
  }

  /** Runs {@code effect} through the middleware from {@code index} on, then the executor. */
  static Object run(List<SagaMiddleware> middleware, EffectExecutor executor, int index, Effect<?> effect, String id,
      SagaContextImpl ctx) throws Exception {
    if (index < middleware.size()) {
      return middleware.get(index).intercept(new MiddlewareChain(middleware, executor, index + 1, effect, id, ctx));
    }
    return executor.execute(effect, id, ctx);
  }

  @Override
  public Effect<?> effect() {
    return effect;
  }

  @Override
  public SagaContextImpl context() {
    return ctx;
  }

  @Override
  public String effectId() {
    return id;
  }

  @Override
  public Object proceed(Effect<?> next) throws Exception {
    Objects.requireNonNull(next, "effect");
    if (!proceeded.compareAndSet(false, true)) {
      throw new IllegalStateException("middleware " + middleware.get(index - 1).getClass().getName()
          + " called proceed() twice for " + effect.describe() + " (effect " + id
          + "); middleware must call proceed() at most once");
    }
    return run(middleware, executor, index, next, id, ctx);
  }
}
