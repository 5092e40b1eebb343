package io.sagaflow.spring.boot;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.spring.boot.internal.CoreOptions;
import io.sagaflow.spring.boot.internal.ListenerEndpoint;
import io.sagaflow.spring.boot.internal.MetricsBinding;
import io.sagaflow.spring.boot.internal.RunningListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the processors of the {@code @SagaflowListener} methods and the saga consumers of the {@link
 * SagaConsumerDefinition} beans: starts them when the application context is ready and drains them
 * when it closes.
 *
 * <p><b>Phase.</b> It is a {@link SmartLifecycle} in Spring Boot's graceful shutdown phase ({@link
 * #PHASE}): it starts after the web server, and on close it drains alongside the web server's
 * graceful shutdown, before the web server stops. Draining stops polling, lets in-flight records and
 * sagas finish, commits what finished and closes the clients, bounded by the smaller of {@code
 * sagaflow.processor.shutdown-timeout} and {@code spring.lifecycle.timeout-per-shutdown-phase}.
 *
 * <p>{@link #status(String)} gives a listener's processor status, by its id.
 */
public final class SagaflowContainer implements SmartLifecycle {
  /** Spring Boot's graceful shutdown phase ({@code SmartLifecycle.DEFAULT_PHASE - 1024}). */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

  private static final Logger LOG = LoggerFactory.getLogger(SagaflowContainer.class);

  private final Supplier<List<ListenerEndpoint>> endpoints;
  private final SagaflowProperties properties;
  private final SagaflowClusters clusters;
  private final ListableBeanFactory beans;
  private final MetricsBinding metrics;
  private final ObjectMapper json;
  private final Supplier<SagaRuntime> sagaRuntime;
  private final String applicationName;
  private final Duration phaseTimeout;
  private final List<RunningListener> listeners = new ArrayList<>();
  private final Map<String, SagaConsumer> sagaConsumers = new LinkedHashMap<>();
  private volatile boolean running;
  private volatile SagaRuntime runtime;

  SagaflowContainer(Supplier<List<ListenerEndpoint>> endpoints, SagaflowProperties properties,
      SagaflowClusters clusters, ListableBeanFactory beans, MetricsBinding metrics, ObjectMapper json,
      Supplier<SagaRuntime> sagaRuntime, String applicationName, Duration phaseTimeout) {
    this.endpoints = endpoints;
    this.properties = properties;
    this.clusters = clusters;
    this.beans = beans;
    this.metrics = metrics;
    this.json = json;
    this.sagaRuntime = sagaRuntime;
    this.applicationName = applicationName;
    this.phaseTimeout = phaseTimeout;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    try {
      for (ListenerEndpoint e : endpoints.get()) {
        listeners.add(RunningListener.start(e, clusters.get(e.cluster()), groupId(e), policy(e), properties,
            metrics, json));
      }
      @SuppressWarnings("rawtypes")
      Map<String, SagaConsumerDefinition> definitions = beans.getBeansOfType(SagaConsumerDefinition.class);
      for (Map.Entry<String, SagaConsumerDefinition<?>> d : typed(definitions).entrySet()) {
        sagaConsumers.put(d.getKey(), startSagaConsumer(d.getValue()));
      }
    } catch (RuntimeException e) {
      stopNow();
      throw e;
    }
    running = true;
    LOG.info("Sagaflow started {} listener(s) and {} saga consumer(s)", listeners.size(), sagaConsumers.size());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Map<String, SagaConsumerDefinition<?>> typed(Map<String, SagaConsumerDefinition> raw) {
    return (Map) raw;
  }

  private <P> SagaConsumer startSagaConsumer(SagaConsumerDefinition<P> d) {
    SagaConsumerOptions options = d.options().apply(SagaConsumerOptions.of(d.groupId())
        .withRecoveryListener(metrics.recoveryListener()));
    runtime = sagaRuntime.get();
    return runtime.consumer(d.topic(), d.payloadType(), d.saga(), options);
  }

  private String groupId(ListenerEndpoint e) {
    for (String candidate : new String[] {e.groupId(), properties.processor().groupId(), applicationName}) {
      if (candidate != null && !candidate.isBlank()) {
        return candidate;
      }
    }
    throw new IllegalStateException(e.where() + " has no consumer group: set groupId = \"...\" on it, or"
        + " sagaflow.processor.group-id, or spring.application.name");
  }

  private RetryPolicy policy(ListenerEndpoint e) {
    if (!properties.recovery().enabled()) {
      if (!e.retry().isEmpty()) {
        throw new IllegalStateException(e.where() + " names retry policy '" + e.retry() + "' but recovery is off"
            + " (sagaflow.recovery.enabled=false)");
      }
      return null;
    }
    SagaflowProperties.Retry defaults = properties.recovery().retry();
    if (e.retry().isEmpty()) {
      return CoreOptions.retryPolicy(defaults, null);
    }
    if (beans.containsBean(e.retry()) && beans.isTypeMatch(e.retry(), RetryPolicy.class)) {
      return beans.getBean(e.retry(), RetryPolicy.class);
    }
    SagaflowProperties.Retry named = properties.recovery().policies().get(e.retry());
    if (named == null) {
      throw new IllegalStateException(e.where() + " names retry policy '" + e.retry() + "', which is neither a"
          + " RetryPolicy bean nor under sagaflow.recovery.policies (known: "
          + new TreeSet<>(properties.recovery().policies().keySet()) + "); define sagaflow.recovery.policies."
          + e.retry() + ".* or a RetryPolicy bean named " + e.retry());
    }
    return CoreOptions.retryPolicy(named, defaults);
  }

  @Override
  public void stop() {
    stopNow();
  }

  @Override
  public void stop(Runnable callback) {
    // Off the caller's thread: Spring waits for the callback, bounded by the phase's timeout.
    Thread.ofPlatform().name("sagaflow-shutdown").start(() -> {
      try {
        stopNow();
      } finally {
        callback.run();
      }
    });
  }

  private void stopNow() {
    List<RunningListener> toClose;
    List<SagaConsumer> sagas;
    synchronized (this) {
      toClose = new ArrayList<>(listeners);
      sagas = new ArrayList<>(sagaConsumers.values());
      listeners.clear();
      sagaConsumers.clear();
      running = false;
    }
    Duration timeout = drainTimeout();
    List<Thread> closing = new ArrayList<>();
    for (RunningListener l : toClose) {
      closing.add(Thread.ofVirtual().name("starter-drain-" + l.id()).start(() -> l.close(timeout)));
    }
    for (SagaConsumer s : sagas) {
      closing.add(Thread.ofVirtual().name("starter-drain-saga").start(s::close));
    }
    try {
      for (Thread t : closing) {
        t.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!closing.isEmpty()) {
      LOG.info("Sagaflow drained {} listener(s) and {} saga consumer(s)", toClose.size(), sagas.size());
    }
  }

  private Duration drainTimeout() {
    Duration configured = properties.processor().shutdownTimeout();
    Duration timeout = configured != null ? configured : Duration.ofSeconds(30);
    // Leave the phase a moment to close the clients after the drain.
    Duration phase = phaseTimeout.minus(phaseTimeout.dividedBy(10));
    return timeout.compareTo(phase) < 0 ? timeout : phase;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /**
   * The status of a listener's processor, if it runs.
   *
   * @param listenerId the listener's id: {@code <bean>.<method>} unless {@link SagaflowListener#id()} names it
   * @return its processor's status, or empty when no such listener runs
   */
  public synchronized Optional<ProcessorStatus> status(String listenerId) {
    return listeners.stream().filter(l -> l.id().equals(listenerId)).findFirst().map(l -> l.statuses().get(0));
  }

  /** The running listeners, for the health indicator. */
  synchronized List<RunningListener> listeners() {
    return List.copyOf(listeners);
  }

  /** The saga runtime, once a saga consumer needed it. */
  Optional<SagaRuntime> sagaRuntime() {
    return Optional.ofNullable(runtime);
  }

  /** The running saga consumers by bean name, for the health indicator. */
  synchronized Map<String, SagaConsumer> sagaConsumers() {
    return Map.copyOf(sagaConsumers);
  }
}
