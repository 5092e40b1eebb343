package io.sagaflow.processor.internal;

import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns a consumer: the only caller of poll, commit, pause, resume and seek.
 * Workers and users talk to it through {@link Command}s. This class is the thread and its turn;
 * the parts it drives each do one job: {@link Dispatcher} (backlogs, fair share, lanes), {@link
 * Pauses} (ours and the user's), a {@link Committer} per commit strategy, {@link RebalanceHandler}
 * and {@link LoopStatus}.
 *
 * <p>Each turn: apply commands (completions update the {@link OffsetTracker}s and the in-flight
 * counts), let the committer commit if due, dispatch what now fits from the backlogs, recompute the
 * pauses, poll, and dispatch what came back. Memory is bounded by the limits, not by the handler's
 * speed, and poll keeps being called. While every partition is paused or the limits are reached,
 * the thread parks until a completion arrives (or a bound of milliseconds passes) and then polls
 * without waiting, instead of sleeping in poll: room that frees up is refilled at once.
 *
 * <p>Close: stop dispatching, let in-flight work finish within the deadline while polling (to keep
 * the membership), commit what finished, close.
 */
final class PollLoop<K, V> implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(PollLoop.class);
  static final int METADATA_MAX_CHARS = 3000;

  final boolean finishOnAck;
  final boolean exactlyOnce;
  volatile boolean aborted;
  /** The consumer's client.id, known once the consumer exists. */
  volatile String clientId;
  /** Exactly-once only (else null): workers publish finished records through it. */
  TransactionalCommitter transactions;
  final String name;

  private final ProcessorRuntime<K, V> runtime;
  final ProcessorOptions<K, V> options;
  private final HandlerInvoker<K, V> invoker;
  private final RecordPublisher<K, V> publisher;
  private final Metrics metrics;
  private final boolean batchMode;
  private final Ticker ticker;
  private final KafkaClientFactory clients;
  private final Map<String, Object> consumerProps;
  private final String transactionalId;
  private final ConcurrentLinkedQueue<Command> commands = new ConcurrentLinkedQueue<>();
  private final Assignment assignment;
  private final LoopStatus status;
  /** Whether a broker answers; read by status calls. */
  final ConnectionWatch connection;
  private long nextConnectionCheckNanos;

  private volatile boolean closeRequested;
  private volatile long closeDeadlineNanos;
  /** The poll thread, parked while every partition is paused; {@link #enqueue} wakes it. */
  private volatile Thread pollThread;
  private volatile boolean parked;

  // Created by open(), on the poll thread, once the consumer exists.
  private Consumer<byte[], byte[]> consumer;
  private Pauses pauses;
  private Dispatcher<K, V> dispatcher;
  private Committer committer;

  PollLoop(
      ProcessorRuntime<K, V> runtime,
      int index,
      HandlerInvoker<K, V> invoker,
      RecordPublisher<K, V> publisher,
      boolean batchMode,
      Metrics metrics) {
    this.runtime = runtime;
    this.options = runtime.options;
    this.invoker = invoker;
    this.publisher = publisher;
    this.batchMode = batchMode;
    this.metrics = metrics;
    this.ticker = runtime.ticker;
    this.clients = runtime.clients;
    this.finishOnAck = publisher != null || options.commitStrategy() == CommitStrategy.MANUAL;
    this.name = "sagaflow-poll-" + options.groupId() + "-" + index;
    this.consumerProps = ClientProperties.consumer(options, index);
    this.exactlyOnce = options.isExactlyOnce();
    this.transactionalId = exactlyOnce ? runtime.transactionalIdPrefix + "-" + index : null;
    this.assignment = new Assignment(runtime.inFlight, runtime.bytes);
    this.status = new LoopStatus(metrics);
    this.connection = new ConnectionWatch(options.connectionTimeout().toNanos(), runtime::loopConnected);
  }

  Producer<byte[], byte[]> sharedProducer() {
    return runtime.sharedProducer();
  }

  void enqueue(Command c) {
    commands.offer(c);
    if (parked) {
      parked = false;
      LockSupport.unpark(pollThread);
    }
  }

  LoopStatus.Snapshot snapshot() {
    return status.snapshot();
  }

  void requestClose(long deadlineNanos) {
    if (!closeRequested || deadlineNanos - closeDeadlineNanos < 0) {
      closeDeadlineNanos = deadlineNanos;
    }
    closeRequested = true;
  }

  @Override
  public void run() {
    try {
      open();
      while (!closeRequested) {
        turn();
      }
      shutdown();
    } catch (Throwable t) {
      LOG.error("Poll loop {} failed; stopping the processor", name, t);
      aborted = true;
      wakeAll(false);
      runtime.fatal(t);
      if (consumer != null) {
        try {
          consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
          LOG.warn("Closing consumer of {} failed", name, e);
        }
      }
      if (committer != null) {
        committer.abandon();
      }
    } finally {
      status.clear();
    }
  }

  /** Creates the consumer and the parts that use it, and subscribes. */
  void open() {
    pollThread = Thread.currentThread();
    connection.opening(ticker.nanoTime());
    consumer = clients.consumer(consumerProps);
    clientId = clientIdOf(consumer);
    LoopParts<K, V> parts = new LoopParts<>(name, runtime, options, consumer, assignment, status,
        metrics, ticker, clients);
    pauses = new Pauses(consumer, assignment, options.maxInFlight(), options.maxBufferedBytes(),
        options.maxInFlightPerPartition());
    dispatcher = new Dispatcher<>(this, parts, pauses, invoker, publisher, batchMode);
    if (exactlyOnce) {
      transactions = new TransactionalCommitter(parts, transactionalId, this::applyCommands);
      committer = transactions;
    } else {
      committer = switch (options.commitStrategy()) {
        case NONE -> new NoCommitter();
        case SYNC_PER_BATCH -> new BatchCommitter(parts);
        case PERIODIC_ASYNC, MANUAL -> new PeriodicCommitter(parts);
        case AT_MOST_ONCE -> new AtMostOnceCommitter(parts);
      };
    }
    RebalanceHandler<K, V> rebalance = new RebalanceHandler<>(this, parts, committer, publisher);
    if (options.topicPattern() != null) {
      consumer.subscribe(options.topicPattern(), rebalance);
    } else {
      consumer.subscribe(options.topics(), rebalance);
    }
    long now = ticker.nanoTime();
    committer.start(now);
    connection.start(now);
  }

  void turn() {
    invoker.scheduler.checkStall();
    applyCommands();
    long now = ticker.nanoTime();
    committer.onTurn(now);
    if (!closeRequested) {
      dispatcher.drainBacklogs();
    }
    updatePauses(now);
    ConsumerRecords<byte[], byte[]> records;
    boolean allPaused = pauses.allPaused(closeRequested);
    if (publisher == null && (allPaused || pauses.backpressured()) && !closeRequested) {
      // Full, or nothing to fetch: wait for work to finish (a completion wakes us at once), then
      // let the consumer run its callbacks and network I/O without waiting. A poll that waited
      // instead would leave the room that frees up empty for its whole timeout.
      parkForCompletions(now, allPaused ? 20_000_000L : 2_000_000L);
      records = consumer.poll(Duration.ZERO);
    } else {
      records = consumer.poll(Duration.ofMillis(pollTimeoutMillis(now)));
    }
    if (!records.isEmpty()) {
      connection.progress(now);
      if (!closeRequested && committer.beforeDispatch(records)) {
        dispatcher.dispatch(records);
      }
    }
    status.publishIfDue(now, assignment, pauses, consumer);
    if (now - nextConnectionCheckNanos >= 0) {
      connection.observe(now, consumer.metrics());
      nextConnectionCheckNanos = now + LoopStatus.EVERY_NANOS;
    }
  }

  private void updatePauses(long now) {
    pauses.update(now, runtime.inFlight.get(), runtime.bytes.get(), dispatcher.backlogRecords(),
        dispatcher.backlogBytes(), publisher != null && publisher.capacity() <= 0, closeRequested);
  }

  private void parkForCompletions(long now, long maxNanos) {
    long waitNanos = invoker.scheduler.hasWaiting() ? Math.min(maxNanos, 1_000_000L) : maxNanos;
    waitNanos = committer.capPark(now, waitNanos);
    for (PartitionState s : assignment.states()) {
      if (s.notBeforeUntilNanos != 0) {
        waitNanos = Math.min(waitNanos, Math.max(0, s.notBeforeUntilNanos - now));
      }
    }
    if (waitNanos <= 0) {
      return;
    }
    parked = true;
    if (commands.isEmpty()) {
      LockSupport.parkNanos(this, waitNanos);
    }
    parked = false;
  }

  private long pollTimeoutMillis(long now) {
    long timeout = pauses.backpressured() || (publisher != null && publisher.capacity() <= 0) ? 5 : 100;
    if (invoker.scheduler.hasWaiting()) {
      timeout = 1; // lanes wait for a runner: check for stuck runners soon
    }
    int perPartition = options.maxInFlightPerPartition();
    for (PartitionState s : assignment.states()) {
      if (s.backlog != null || s.outstanding >= perPartition) {
        timeout = Math.min(timeout, 5);
      }
      if (s.notBeforeUntilNanos != 0) {
        timeout = Math.min(timeout, Math.max(1, (s.notBeforeUntilNanos - now) / 1_000_000 + 1));
      }
    }
    return timeout;
  }

  // ---- commands ----

  /** Applies what workers and users sent: completions, acks, user pauses. */
  void applyCommands() {
    Command c;
    long doneRecords = 0;
    long doneBytes = 0;
    TransactionalCommitter txn = transactions;
    while ((c = commands.poll()) != null) {
      switch (c) {
        case Command.Completion done -> {
          PartitionState s = done.state();
          if (s.detached) {
            continue;
          }
          long[] offsets = done.offsets();
          for (int i = 0; i < done.finished(); i++) {
            s.tracker.finished(offsets[i]);
          }
          int n = done.finished() + done.dropped();
          if (txn != null) {
            txn.finished += done.finished();
          }
          s.outstanding -= n;
          s.outstandingBytes -= done.bytes();
          doneRecords += n;
          doneBytes += done.bytes();
        }
        case Command.Ack ack -> {
          Delivery<?, ?> d = ack.delivery();
          PartitionState s = d.state;
          if (s.detached) {
            continue;
          }
          s.tracker.finished(d.raw.offset());
          s.outstanding--;
          s.outstandingBytes -= d.bytes;
          doneRecords++;
          doneBytes += d.bytes;
        }
        case Command.Copies copies -> txn.copiesHandedOver(copies.handoff()); // exactly-once only
        case Command.UserPause p -> pauses.user(p.partitions(), p.pause());
      }
    }
    if (doneRecords != 0) {
      runtime.inFlight.addAndGet(-doneRecords);
      runtime.bytes.addAndGet(-doneBytes);
    }
  }

  /** The assigned partitions (tests). */
  Assignment assignment() {
    return assignment;
  }

  void checkStall() {
    invoker.scheduler.checkStall();
  }

  /** {@code deadline}, or the close deadline if a close was requested and ends sooner. */
  long capByCloseDeadline(long deadline) {
    long close = closeDeadlineNanos;
    return closeRequested && close - deadline < 0 ? close : deadline;
  }

  void publishStatus() {
    status.publish(assignment, pauses, consumer);
  }

  // ---- shutdown ----

  private void shutdown() {
    long deadline = closeDeadlineNanos;
    for (;;) {
      invoker.scheduler.checkStall();
      applyCommands();
      long now = ticker.nanoTime();
      if (Assignment.outstanding(assignment.states()) == 0 || now - deadline >= 0) {
        break;
      }
      updatePauses(now);
      committer.whileDraining(now);
      // Keeps the membership alive and runs rebalance callbacks; nothing new is dispatched.
      long wait = invoker.scheduler.hasWaiting() ? 2 : 20;
      consumer.poll(Duration.ofMillis(Math.max(1, Math.min(wait, (deadline - now) / 1_000_000))));
    }
    long left = Assignment.outstanding(assignment.states());
    aborted = true;
    wakeAll(left > 0);
    if (left > 0) {
      LOG.warn("{}: {} records still in flight after the shutdown timeout; they are not committed "
          + "and will be processed again", name, left);
    }
    applyCommands();
    for (PartitionState s : assignment.states()) {
      s.revoked = true;
    }
    committer.onClose();
    for (PartitionState s : assignment.states()) {
      assignment.detach(s);
    }
    assignment.clear();
    publishStatus();
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
  }

  private void wakeAll(boolean interrupt) {
    for (PartitionState s : assignment.states()) {
      for (Lane lane : s.lanes.values()) {
        lane.wake();
        Thread t = lane.thread;
        if (interrupt && !lane.idle() && t != null) {
          t.interrupt();
        }
      }
    }
  }

  /**
   * The client id the consumer runs with: the configured one, else the one Kafka generated, which
   * every consumer metric carries as its {@code client-id} tag (public API, no reflection).
   */
  private String clientIdOf(Consumer<byte[], byte[]> c) {
    Object configured = consumerProps.get(ConsumerConfig.CLIENT_ID_CONFIG);
    if (configured != null && !configured.toString().isEmpty()) {
      return configured.toString();
    }
    for (MetricName m : c.metrics().keySet()) {
      String id = m.tags().get("client-id");
      if (id != null && !id.isEmpty()) {
        return id;
      }
    }
    return "";
  }

  @Override
  public String toString() {
    return name;
  }
}
