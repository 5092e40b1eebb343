package io.sagaflow.testkit;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionPublisher;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.Call;
import io.sagaflow.saga.ReturningSaga;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.saga.Take;
import io.sagaflow.saga.internal.EffectRecorder;
import io.sagaflow.saga.internal.LoopbackBus;
import io.sagaflow.saga.internal.ManualTimer;
import io.sagaflow.saga.internal.SagaEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a saga with no Kafka: the real effect interpreter and middleware, an in-memory bus, scripted
 * replies and stubbed calls, and virtual time.
 *
 * <pre>{@code
 * SagaTestResult result = SagaTester.of(orderSaga)
 *     .whenTake("PIZZA_CREATE_SUCCESS").reply(Map.of("id", 7))
 *     .whenCall("chargeCard").thenReturn("receipt-1")
 *     .run("ORDER_PLACED", order);
 * result.assertSucceeded().assertPutTopics("PIZZA_CREATE", "ORDER_CONFIRMED");
 * }</pre>
 *
 * <p>Semantics:
 *
 * <ul>
 *   <li>{@link #whenTake} queues replies per topic. A reply is delivered when the saga takes from
 *       that topic (directly, or from a channel covering it that is empty), oldest first; channel
 *       predicates still apply.
 *   <li>{@link #whenPut} reacts to a put, like another service would: the reply is delivered at
 *       once to the saga's open channels, so, as in production, take from a channel opened before
 *       the put.
 *   <li>{@link #whenCall} stubs calls by name (see {@code Effects.call(String, ...)}); other calls
 *       run for real.
 *   <li>Your middleware runs first, in order; the tester's stubs are the innermost link, so they
 *       see effects as your middleware left them.
 *   <li>Time is virtual: when every branch of the saga waits on a take or a delay, the earliest
 *       pending delay elapses ({@code ctx.now()} follows it, starting at the epoch). If none is pending, the saga is stuck and {@link #run} throws an
 *       {@link AssertionError} naming what it waits for.
 * </ul>
 *
 * A tester runs its saga once; create one per scenario.
 *
 * @param <P> the saga's payload type
 */
public final class SagaTester<P> {
  /** The transaction id of tested runs. */
  public static final String TRANSACTION_ID = "test-transaction";
  /** The topic of the triggering action when none is given. */
  public static final String DEFAULT_TOPIC = "SAGA_TEST";

  private record Reply(long seq, String topic, Object payload, Map<String, byte[]> headers) {}

  private final ReturningSaga<P, ?> saga;
  private final List<SagaMiddleware> middleware = new ArrayList<>();
  private final List<Reply> replies = new ArrayList<>();
  private final Map<String, List<Consumer<Action<?>>>> putReactions = new ConcurrentHashMap<>();
  private final Map<String, RuntimeException> putFailures = new ConcurrentHashMap<>();
  private final Map<String, Function<List<Object>, Object>> callStubs = new ConcurrentHashMap<>();
  private final List<String> effectLog = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Collection<String>> patternTake = new ThreadLocal<>();
  private Object userContext;
  private Duration timeout = Duration.ofSeconds(30);
  private long seq;
  private boolean ran;
  private LoopbackBus bus;

  private SagaTester(ReturningSaga<P, ?> saga) {
    this.saga = Objects.requireNonNull(saga, "saga");
  }

  /** A tester for a saga. */
  public static <P> SagaTester<P> of(Saga<P> saga) {
    Objects.requireNonNull(saga, "saga");
    return new SagaTester<>((action, ctx) -> {
      saga.run(action, ctx);
      return null;
    });
  }

  /** A tester for a saga that returns a value (see {@link SagaTestResult#value()}). */
  public static <P> SagaTester<P> ofReturning(ReturningSaga<P, ?> saga) {
    return new SagaTester<>(saga);
  }

  /** Adds middleware, outermost first, as the runtime would run it. */
  public SagaTester<P> withMiddleware(SagaMiddleware... more) {
    middleware.addAll(List.of(more));
    return this;
  }

  /** The user context the saga sees. */
  public SagaTester<P> withUserContext(Object context) {
    this.userContext = context;
    return this;
  }

  /** The real-time bound of a run (default 30 s); a run past it fails with {@link AssertionError}. */
  public SagaTester<P> withTimeout(Duration runTimeout) {
    if (runTimeout.isNegative() || runTimeout.isZero()) {
      throw new IllegalArgumentException("timeout (" + runTimeout + ") must be positive");
    }
    this.timeout = runTimeout;
    return this;
  }

  /** Scripts replies on {@code topic}. */
  public TakeScript whenTake(String topic) {
    return new TakeScript(Objects.requireNonNull(topic, "topic"));
  }

  /** Scripts what happens when the saga puts to {@code topic}. */
  public PutScript whenPut(String topic) {
    return new PutScript(Objects.requireNonNull(topic, "topic"));
  }

  /** Stubs calls named {@code name}. */
  public CallScript whenCall(String name) {
    return new CallScript(Objects.requireNonNull(name, "name"));
  }

  /** Scripted replies on one topic. */
  public final class TakeScript {
    private final String topic;

    private TakeScript(String topic) {
      this.topic = topic;
    }

    /** Queues a reply with {@code payload}. */
    public SagaTester<P> reply(Object payload) {
      return reply(payload, Map.of());
    }

    /** Queues a reply with {@code payload} and headers. */
    public SagaTester<P> reply(Object payload, Map<String, byte[]> headers) {
      synchronized (replies) {
        replies.add(new Reply(seq++, topic, payload, headers));
      }
      return SagaTester.this;
    }
  }

  /** Reactions to puts on one topic. */
  public final class PutScript {
    private final String topic;

    private PutScript(String topic) {
      this.topic = topic;
    }

    /** After each put to the topic, delivers an action on {@code replyTopic} with {@code payload}. */
    public SagaTester<P> thenReply(String replyTopic, Object payload) {
      return thenReply(replyTopic, put -> payload);
    }

    /** After each put to the topic, delivers an action on {@code replyTopic} computed from the put. */
    public SagaTester<P> thenReply(String replyTopic, Function<Action<?>, Object> payload) {
      putReactions.computeIfAbsent(topic, k -> new CopyOnWriteArrayList<>()).add(put ->
          bus.deliver(new Action<>(replyTopic, put.transactionId(), payload.apply(put), Map.of())));
      return SagaTester.this;
    }

    /** Makes each put to the topic fail with {@code failure} (as a broker error would). */
    public SagaTester<P> thenFail(RuntimeException failure) {
      putFailures.put(topic, Objects.requireNonNull(failure, "failure"));
      return SagaTester.this;
    }
  }

  /** Stubs for calls of one name. */
  public final class CallScript {
    private final String name;

    private CallScript(String name) {
      this.name = name;
    }

    /** Every call returns {@code value}. */
    public SagaTester<P> thenReturn(Object value) {
      return thenAnswer(args -> value);
    }

    /** Every call throws {@code failure}. */
    public SagaTester<P> thenThrow(RuntimeException failure) {
      return thenAnswer(args -> {
        throw failure;
      });
    }

    /** Every call returns what {@code answer} computes from its arguments. */
    public SagaTester<P> thenAnswer(Function<List<Object>, Object> answer) {
      callStubs.put(name, answer);
      return SagaTester.this;
    }
  }

  /** Runs the saga on an action of {@link #DEFAULT_TOPIC}. */
  public SagaTestResult run(P payload) {
    return run(DEFAULT_TOPIC, payload);
  }

  /** Runs the saga on an action of {@code topic}. */
  public SagaTestResult run(String topic, P payload) {
    return run(new Action<>(topic, TRANSACTION_ID, payload, Map.of()));
  }

  /**
   * Runs the saga on {@code action} until it ends.
   *
   * @throws AssertionError if the saga gets stuck (waits with nothing scripted) or exceeds the timeout
   * @throws IllegalStateException if this tester already ran
   */
  public SagaTestResult run(Action<P> action) {
    if (ran) {
      throw new IllegalStateException("a SagaTester runs its saga once; create another for another scenario");
    }
    ran = true;
    bus = new LoopbackBus();
    ManualTimer timer = new ManualTimer();
    Quiescence quiescence = new Quiescence();
    List<SagaMiddleware> chain = new ArrayList<>(middleware);
    chain.add(this::intercept);
    SagaEngine engine = new SagaEngine(chain, publisher(), source(), timer, EffectRecorder.PASS_THROUGH,
        ActionCodec.create(), io.sagaflow.saga.ActionChannelBuffer.DEFAULT_CAPACITY, quiescence);
    SagaEngine.SagaRun run = engine.startReturning(saga, action, null, userContext);
    String stuck = drive(run, timer, quiescence);
    if (stuck != null) {
      throw new AssertionError(stuck + "; effects so far: " + effectLog + ", puts: "
          + bus.published().stream().map(Action::topic).toList());
    }
    Object value = null;
    Throwable failure = null;
    try {
      value = run.done().get();
    } catch (ExecutionException e) {
      failure = e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running the saga", e);
    }
    return new SagaTestResult(bus.published(), effectLog, value, failure, timer.elapsed());
  }

  /** Advances virtual time whenever the saga is idle; returns why it is stuck, or null. */
  private String drive(SagaEngine.SagaRun run, ManualTimer timer, Quiescence q) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CompletableFuture<Object> done = run.done();
    done.whenComplete((v, e) -> {
      synchronized (q) {
        q.notifyAll();
      }
    });
    synchronized (q) {
      try {
        while (!done.isDone()) {
          if (System.nanoTime() > deadline) {
            return cancel(run, "the saga did not finish within " + timeout + " (real time); it waits on "
                + q.waits());
          }
          if (!q.idle()) {
            q.wait(50);
            continue;
          }
          // Idle: let a thread that was just handed an action get going before deciding.
          long generation = q.generation();
          q.wait(10);
          if (done.isDone() || !q.idle() || q.generation() != generation) {
            continue;
          }
          if (!timer.fireNext()) {
            return cancel(run, "the saga is stuck: it waits on " + q.waits()
                + " and nothing is scripted to arrive (use whenTake(...).reply(...) or whenPut(...).thenReply(...))");
          }
          while (q.generation() == generation && !done.isDone() && System.nanoTime() < deadline) {
            q.wait(50);
          }
        }
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return cancel(run, "interrupted while running the saga");
      }
    }
  }

  private static String cancel(SagaEngine.SagaRun run, String why) {
    run.cancel();
    return why;
  }

  private Object intercept(SagaMiddleware.Chain chain) throws Exception {
    effectLog.add(chain.effectId() + " " + chain.effect().describe());
    switch (chain.effect()) {
      case Call<?> call when callStubs.containsKey(call.name()) -> {
        return callStubs.get(call.name()).apply(call.args());
      }
      case Take<?> take when take.channel() != null -> {
        ActionChannel<?> channel = take.channel();
        while (channel.size() == 0) {
          Reply r = nextReply(channel.topics());
          if (r == null) {
            break;
          }
          bus.deliver(new Action<>(r.topic(), chain.context().transactionId(), r.payload(), r.headers()));
        }
        return chain.proceed(take);
      }
      case Take<?> take -> {
        patternTake.set(take.pattern().topics());
        try {
          return chain.proceed(take);
        } finally {
          patternTake.remove();
        }
      }
      default -> {
        return chain.proceed(chain.effect());
      }
    }
  }

  private Reply nextReply(Collection<String> topics) {
    synchronized (replies) {
      for (Reply r : replies) {
        if (topics.contains(r.topic())) {
          replies.remove(r);
          return r;
        }
      }
      return null;
    }
  }

  private ActionPublisher publisher() {
    return action -> {
      RuntimeException failure = putFailures.get(action.topic());
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      CompletableFuture<Void> written = bus.publish(action);
      // Replies come after the put is written, as from a service reading the topic.
      putReactions.getOrDefault(action.topic(), List.of()).forEach(r -> r.accept(action));
      return written;
    };
  }

  private ActionSource source() {
    return new ActionSource() {
      @Override
      public Subscription subscribe(String transactionId, Set<String> topics, Consumer<Action<?>> sink) {
        Subscription sub = bus.subscribe(transactionId, topics, sink);
        Collection<String> taking = patternTake.get();
        if (taking != null && topics.containsAll(taking)) {
          patternTake.remove();
          Reply r = nextReply(taking);
          if (r != null) {
            sink.accept(new Action<>(r.topic(), transactionId, r.payload(), r.headers()));
          }
        }
        return sub;
      }
    };
  }
}
