package io.sagaflow.processor.internal;

import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.processor.BatchHandler;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.processor.RecordHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifecycle of one processor: starts its poll loops, closes them (drain, commit, close), stops on
 * a fatal error or a stop decision, and merges their status. Used by
 * {@link io.sagaflow.processor.Processor}; not an API.
 */
public final class ProcessorRuntime<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorRuntime.class);

  final AtomicLong inFlight = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  volatile boolean stopping;

  final ProcessorOptions<K, V> options;
  private final RecordHandler<K, V> handler;
  private final BatchHandler<K, V> batchHandler;
  private final RecordPublisher<K, V> publisher;
  private final AtomicReference<ProcessorStatus.State> state =
      new AtomicReference<>(ProcessorStatus.State.NEW);
  private final List<PollLoop<K, V>> loops = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final CountDownLatch terminated;
  /** Counted down by each poll loop when a broker first answers it, or when it ends. */
  private final CountDownLatch connected;
  private volatile StallWatch stalls;
  private volatile Throwable lastError;
  private static final java.lang.invoke.VarHandle LAST_ERROR;

  static {
    try {
      LAST_ERROR = java.lang.invoke.MethodHandles.lookup()
          .findVarHandle(ProcessorRuntime.class, "lastError", Throwable.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
  private volatile Metrics metrics = Metrics.NOOP;
  private Thread shutdownHook;
  final String transactionalIdPrefix;
  private final Object producerLock = new Object();
  private volatile Producer<byte[], byte[]> sharedProducer;
  private boolean producerClosed;
  final Ticker ticker;
  final KafkaClientFactory clients;

  public ProcessorRuntime(
      ProcessorOptions<K, V> options,
      RecordHandler<K, V> handler,
      BatchHandler<K, V> batchHandler,
      boolean publisherMode) {
    this(options, handler, batchHandler, publisherMode, Ticker.SYSTEM, KafkaClientFactory.DIRECT);
  }

  /** With the clock and the client factory given (tests hand in fakes). */
  ProcessorRuntime(
      ProcessorOptions<K, V> options,
      RecordHandler<K, V> handler,
      BatchHandler<K, V> batchHandler,
      boolean publisherMode,
      Ticker ticker,
      KafkaClientFactory clients) {
    this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
    this.clients = java.util.Objects.requireNonNull(clients, "clients");
    if (options.topics().isEmpty() && options.topicPattern() == null) {
      throw new IllegalArgumentException(
          "no topics to consume: call withTopics(...) or withTopicPattern(...) on the options");
    }
    if (publisherMode && options.isExactlyOnce()) {
      throw new IllegalArgumentException("exactly-once mode needs a handler (forRecords or forBatches): "
          + "a Flow publisher's subscriber acks records outside any transaction");
    }
    this.options = options;
    this.transactionalIdPrefix = !options.isExactlyOnce() ? null
        : options.exactlyOnce().transactionalIdPrefix() != null ? options.exactlyOnce().transactionalIdPrefix()
        : options.instanceId() != null ? options.groupId() + "-" + options.instanceId()
        : options.groupId() + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    this.handler = handler;
    this.batchHandler = batchHandler;
    this.publisher = publisherMode ? new RecordPublisher<>(options.publisherPrefetch()) : null;
    this.terminated = new CountDownLatch(options.consumers());
    this.connected = new CountDownLatch(options.consumers());
  }

  public Flow.Publisher<ProcessorRecord<K, V>> publisher() {
    if (publisher == null) {
      throw new IllegalStateException(
          "this processor runs a handler; create it with Processor.forPublisher(options) for a publisher");
    }
    return publisher;
  }

  public void start() {
    if (!state.compareAndSet(ProcessorStatus.State.NEW, ProcessorStatus.State.RUNNING)) {
      throw new IllegalStateException("processor already started (state " + state.get() + ")");
    }
    metrics = Metrics.create(options.metrics(), options.groupId(), inFlight::get, this::pausedCount);
    stalls = new StallWatch(ticker, options.stallAlarmAfter().toNanos(), metrics);
    HandlerInvoker<K, V> invoker = new HandlerInvoker<>(handler, batchHandler, options.failureHandler(),
        options.keyDeserializer(), options.valueDeserializer(), options.groupId(),
        publisher != null || options.commitStrategy() == io.sagaflow.processor.CommitStrategy.MANUAL,
        metrics, stalls, this);
    if (publisher != null) {
      publisher.setInvoker(invoker);
    }
    for (int i = 0; i < options.consumers(); i++) {
      PollLoop<K, V> loop = new PollLoop<>(this, i, invoker, publisher, batchHandler != null, metrics);
      loops.add(loop);
      Thread t = new Thread(() -> {
        try {
          loop.run();
        } finally {
          loopEnded();
        }
      }, loop.name);
      threads.add(t);
    }
    if (options.shutdownHook()) {
      shutdownHook = new Thread(() -> close(options.shutdownTimeout()), "sagaflow-shutdown-" + options.groupId());
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
    for (Thread t : threads) {
      t.start();
    }
    if (options.failFastConnect()) {
      awaitConnected();
    }
  }

  /** Fail-fast start: waits until every poll loop heard from a broker, else closes and throws. */
  private void awaitConnected() {
    boolean ok;
    try {
      ok = connected.await(options.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close(Duration.ZERO);
      throw new IllegalStateException("interrupted while waiting for the Kafka cluster at "
          + options.bootstrapServers(), e);
    }
    if (state.get() == ProcessorStatus.State.FAILED) {
      close(Duration.ZERO);
      throw new IllegalStateException("the processor failed while connecting to the Kafka cluster at "
          + options.bootstrapServers() + ": " + lastError, lastError);
    }
    if (!ok) {
      close(Duration.ZERO);
      throw new IllegalStateException(disconnectedMessage());
    }
  }

  private String disconnectedMessage() {
    return "cannot reach the Kafka cluster at " + options.bootstrapServers() + ": no broker has answered for "
        + options.connectionTimeout().toSeconds() + " s (connectionTimeout); check bootstrap.servers, the "
        + "network, and that security.protocol matches the listener";
  }

  /** A poll loop heard from a broker for the first time. */
  void loopConnected() {
    connected.countDown();
  }

  /** The idempotent producer behind {@code send} in at-least-once mode, created on first use. */
  Producer<byte[], byte[]> sharedProducer() {
    var p = sharedProducer;
    if (p != null) {
      return p;
    }
    synchronized (producerLock) {
      if (producerClosed) {
        throw new IllegalStateException("the processor is closed: send() is only possible while it runs");
      }
      if (sharedProducer == null) {
        sharedProducer = clients.producer(ClientProperties.producer(options, null, null));
      }
      return sharedProducer;
    }
  }

  private void closeSharedProducer() {
    Producer<byte[], byte[]> p;
    synchronized (producerLock) {
      producerClosed = true;
      p = sharedProducer;
    }
    if (p != null) {
      p.close(Duration.ofSeconds(30));
    }
  }

  private void loopEnded() {
    connected.countDown(); // a fail-fast start waits no longer for a loop that ended
    terminated.countDown();
    if (terminated.getCount() == 0) {
      closeSharedProducer();
    }
    if (terminated.getCount() == 0 && publisher != null) {
      publisher.terminate(state.get() == ProcessorStatus.State.FAILED ? lastError : null);
    }
  }

  private long pausedCount() {
    long n = 0;
    for (PollLoop<K, V> l : loops) {
      n += l.snapshot().paused().size();
    }
    return n;
  }

  public void pause(Collection<TopicPartition> partitions, boolean pause) {
    Set<TopicPartition> set = Set.copyOf(partitions);
    for (PollLoop<K, V> l : loops) {
      l.enqueue(new Command.UserPause(set, pause));
    }
  }

  /** Closes: stop polling, drain in-flight work within {@code timeout}, commit, close consumers. */
  public void close(Duration timeout) {
    if (state.compareAndSet(ProcessorStatus.State.NEW, ProcessorStatus.State.CLOSED)) {
      return;
    }
    state.compareAndSet(ProcessorStatus.State.RUNNING, ProcessorStatus.State.CLOSING);
    long deadline = ticker.nanoTime() + timeout.toNanos();
    for (PollLoop<K, V> l : loops) {
      l.requestClose(deadline);
    }
    Thread current = Thread.currentThread();
    if (current.isVirtual() && current.getName().startsWith("sagaflow-")) {
      return; // called from a handler: waiting would wait for ourselves
    }
    try {
      // The drain is bounded by the timeout; the final commit and consumer close by their own limits.
      if (!terminated.await(timeout.toMillis() + 60_000, TimeUnit.MILLISECONDS)) {
        LOG.error("Poll loops of {} did not end in time", options.groupId());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    state.compareAndSet(ProcessorStatus.State.CLOSING, ProcessorStatus.State.CLOSED);
    metrics.close();
    if (shutdownHook != null && current != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is already shutting down: the hook runs or ran
      }
    }
  }

  /** Waits for the processor to end (after close or a stop); true if it ended. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    if (state.get() == ProcessorStatus.State.NEW) {
      return false;
    }
    return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  void stopOnFailure(Throwable error, Delivery<?, ?> d) {
    LOG.error("Stopping processor {}: the failure handler decided stop for {}", options.groupId(), d, error);
    lastError = error;
    stopping = true;
    ProcessorStatus.State s = state.get();
    if (s == ProcessorStatus.State.RUNNING || s == ProcessorStatus.State.CLOSING) {
      state.set(ProcessorStatus.State.FAILED);
    }
    long deadline = ticker.nanoTime() + options.shutdownTimeout().toNanos();
    for (PollLoop<K, V> l : loops) {
      l.requestClose(deadline);
    }
  }

  void fatal(Throwable error) {
    // A rejected login or TLS handshake says which cluster and what to check, not only Kafka's words.
    Throwable clear = ConnectionFailures.explain(options.cluster(), error).orElse(null);
    lastError = clear != null ? clear : error;
    stopping = true;
    state.set(ProcessorStatus.State.FAILED);
    long deadline = ticker.nanoTime() + options.shutdownTimeout().toNanos();
    for (PollLoop<K, V> l : loops) {
      l.requestClose(deadline);
    }
  }

  void recordError(Throwable error) {
    lastError = error;
  }

  /**
   * {@code error} (recorded earlier) no longer holds, e.g. a commit failed while no broker answered
   * and a later commit succeeded: the status stops reporting it, unless another error was recorded
   * since.
   */
  void resolvedError(Throwable error) {
    LAST_ERROR.compareAndSet(this, error, null);
  }

  public ProcessorStatus status() {
    Set<TopicPartition> assigned = new HashSet<>();
    Set<TopicPartition> paused = new HashSet<>();
    Set<TopicPartition> userPaused = new HashSet<>();
    Map<TopicPartition, Long> committed = new HashMap<>();
    for (PollLoop<K, V> l : loops) {
      LoopStatus.Snapshot s = l.snapshot();
      assigned.addAll(s.assigned());
      paused.addAll(s.paused());
      userPaused.addAll(s.userPaused());
      committed.putAll(s.committed());
    }
    ProcessorStatus.State st = state.get();
    List<String> problems = new ArrayList<>();
    if (st == ProcessorStatus.State.FAILED) {
      problems.add("the processor stopped: " + lastError);
    }
    if (st == ProcessorStatus.State.RUNNING) {
      long now = ticker.nanoTime();
      for (PollLoop<K, V> l : loops) {
        if (l.connection.disconnected(now)) {
          st = ProcessorStatus.State.DISCONNECTED;
          problems.add(disconnectedMessage());
          break;
        }
      }
    }
    StallWatch sw = stalls;
    List<io.sagaflow.processor.StalledRecord> stalled = List.of();
    if (sw != null) {
      stalled = sw.stalled();
      problems.addAll(sw.alarm());
    }
    return new ProcessorStatus(st, assigned, paused, userPaused, inFlight.get(), bytes.get(),
        committed, Optional.ofNullable(lastError), stalled,
        problems.isEmpty() ? ProcessorStatus.Health.UP : ProcessorStatus.Health.DOWN, problems);
  }
}
