package io.sagaflow.saga.internal;

import io.sagaflow.processor.internal.ConnectionWatch;
import io.sagaflow.saga.SagaConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one platform thread of a durable saga consumer, which owns its Kafka consumer: the only
 * caller of poll, pause, resume and seek. This class is the thread, its turn and its end; the
 * parts it drives each do one job: {@link ResidentRuns} (the runs in memory), {@link
 * JournalTransactions} (what goes into a journal transaction, and when), {@link DurableRecovery}
 * (after a failed one), {@link DurableRebalance} with {@link JournalRestore} (assignment), and
 * {@link DurableStatus}.
 *
 * <p>Each turn: poll (briefly while sagas are resident or a transaction is in flight, so that what
 * saga threads queue and a transaction's end let the next batch go;
 * polled records are not run while recovering, the rebuild seeks back to them), observe the
 * connection, run the commands queued by other threads (runs that ended, evicted runs woken),
 * evict idle runs, take the outcome of the transaction in flight (a failure starts a recovery),
 * retry a recovery if its backoff has passed, submit the next batch if none is in flight and the
 * commit interval has passed, and pause the input while recovering or while {@code
 * maxWaitingSagas} runs are held (resident, queued or evicted), resuming it otherwise.
 *
 * <p>End: {@link #close} commits what is queued and stops the runs (the consumer's close revokes
 * its partitions: {@link DurableRebalance}); {@link #halt} stops as a crash would, writing nothing
 * more. Either way the clients are closed on this thread.
 *
 * <p>Threading. Other threads only queue commands ({@code commands}), mark the loop closing and
 * wake the consumer ({@link #close}, {@link #halt}), and read the volatile state of the parts.
 */
final class DurableLoop {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);
  /** A poll's timeout while sagas are resident or a transaction is in flight (see {@link #turn}). */
  private static final Duration SHORT_POLL = Duration.ofMillis(2);

  private final String topic;
  private final Duration interval;
  private final int maxHeld;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final JournalCommitter committer;
  private final JournalReader reader;
  private final DurableObservers observers;
  private final DurableStatus status;
  private final ConnectionWatch connection;
  private final Admin admin;
  private final Queue<Runnable> commands;
  private final ResidentRuns<?> runs;
  private final JournalTransactions transactions;
  private final DurableRecovery recovery;
  private final DurableRebalance rebalance;
  private final Thread thread;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile RuntimeException startFailure;
  private volatile boolean halted;
  private volatile boolean remainInGroup;
  /** When the next batch may be submitted at the earliest (loop thread). */
  private long nextCommit;

  /**
   * @param interval the commit interval: the least time between two transactions' starts, and a
   *     poll's timeout while no saga is resident
   * @param maxHeld {@code maxWaitingSagas}: the input pauses while this many runs are held
   * @param admin closed with the consumer
   * @param commands what other threads queue for this one
   */
  DurableLoop(DurableParts parts, Duration interval, int maxHeld, Admin admin, Queue<Runnable> commands,
      ResidentRuns<?> runs) {
    this.topic = parts.topic();
    this.interval = interval;
    this.maxHeld = maxHeld;
    this.consumer = parts.consumer();
    this.committer = parts.committer();
    this.reader = parts.reader();
    this.observers = parts.observers();
    this.status = parts.status();
    this.connection = status.connection();
    this.admin = admin;
    this.commands = commands;
    this.runs = runs;
    this.transactions = new JournalTransactions(parts);
    JournalRestore restore = new JournalRestore(parts, runs);
    this.recovery = new DurableRecovery(parts, runs, restore, transactions);
    this.rebalance = new DurableRebalance(parts, runs, restore, transactions, recovery, () -> halted);
    this.thread = Thread.ofPlatform().name("sagaflow-durable-" + parts.groupId()).unstarted(this::run);
  }

  /**
   * Starts the thread and waits until it has opened the committer and subscribed. Returns why it
   * could not, or null; after a failure the thread has closed the clients.
   */
  RuntimeException start() {
    thread.start();
    try {
      started.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return startFailure;
  }

  private void run() {
    try {
      try {
        connection.opening(System.nanoTime());
        committer.open();
        connection.start(System.nanoTime());
        consumer.subscribe(List.of(topic), rebalance);
      } catch (RuntimeException e) {
        startFailure = new IllegalStateException("the durable saga consumer of " + topic + " cannot start: " + e, e);
        return;
      } finally {
        started.countDown();
      }
      nextCommit = System.nanoTime() + interval.toNanos();
      while (!status.isClosing()) {
        turn();
      }
    } catch (RuntimeException e) {
      status.error(e);
      LOG.error("the durable saga consumer of {} failed; its sagas resume on the group's next owner", topic, e);
    } finally {
      status.stopped();
      shutdown();
    }
  }

  /**
   * One turn of the loop. A method of its own, not the body of {@link #run}'s loop, so that the JIT
   * compiles it as a method rather than the whole loop on-stack (a large OSR compilation, done
   * again after every deoptimization).
   */
  private void turn() {
    try {
      // Saga threads queue journal entries and the committer ends transactions without waking this
      // thread, so while either may happen, a poll is brief: what they queue waits at most this long.
      Duration timeout = transactions.busy() || runs.resident() > 0 ? SHORT_POLL : interval;
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
        if (!recovery.active()) {
          runs.received(r); // while recovering, the rebuild seeks back to the committed offsets
        }
      }
    } catch (WakeupException e) {
      // close
    }
    connection.observe(System.nanoTime(), consumer.metrics());
    Runnable c;
    while ((c = commands.poll()) != null) {
      c.run();
    }
    runs.evictIdle();
    JournalCommitter.Outcome outcome = transactions.completed();
    if (outcome != null && !transactions.take(outcome)) {
      recovery.start();
    }
    recovery.retryIfDue();
    if (!recovery.active() && !transactions.busy() && System.nanoTime() - nextCommit >= 0
        && transactions.submit()) {
      nextCommit = System.nanoTime() + interval.toNanos();
    }
    backpressure();
  }

  private void shutdown() {
    try {
      if (!halted) {
        consumer.close(); // revokes: queued writes are committed, runs stopped (DurableRebalance)
      } else {
        committer.close(Duration.ZERO);
        runs.drop(runs.partitions(), false);
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5))
            .withGroupMembershipOperation(remainInGroup
                ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
                : CloseOptions.GroupMembershipOperation.DEFAULT));
      }
    } catch (RuntimeException e) {
      LOG.warn("closing the durable saga consumer of {} failed", topic, e);
    } finally {
      committer.close(halted ? Duration.ZERO : Duration.ofSeconds(10));
      reader.close();
      admin.close();
      observers.close();
    }
  }

  private void backpressure() {
    Set<TopicPartition> parts = consumer.assignment();
    if (recovery.active()) {
      consumer.pause(parts);
    } else if (runs.held() >= maxHeld) {
      consumer.pause(parts);
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  /**
   * Any thread: stops as a crash would; with {@code leaveGroup} false the consumer does not leave
   * its group either, as after {@code kill -9}. Waits up to 60 s for the thread.
   */
  void halt(boolean leaveGroup) {
    remainInGroup = !leaveGroup;
    halted = true;
    status.closing();
    consumer.wakeup();
    join();
  }

  /** Any thread: commits what is queued, stops the runs and closes; waits up to 60 s for the thread. */
  void close() {
    status.closing();
    consumer.wakeup();
    join();
  }

  private void join() {
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      thread.join(Duration.ofSeconds(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
