package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.KafkaClients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * Writes a durable saga consumer's batches, one Kafka transaction each, on a thread of its own.
 *
 * <p>Design. A transaction takes several round trips to the broker (its records, the input
 * offsets with the group's metadata, the commit), tens of milliseconds on a loaded machine. Were
 * the consumer's loop thread to wait for them, it would neither poll nor start sagas meanwhile,
 * and a saga's put would wait for the transaction after the one in flight. Here at most one
 * transaction is in flight: the loop {@link #submit submits} a batch and goes on polling; the
 * next batch is drained when this one's {@link #completed outcome} is back, so it holds
 * everything queued meanwhile (group commit), and the outcome is handled on the loop thread in
 * submission order, as a synchronous commit would be.
 *
 * <p>Two producers take turns. {@code commitTransaction} returns once the coordinator has logged
 * the commit; it writes the commit markers after that. Until they are written, the next
 * transaction of the same transactional id is refused ({@code CONCURRENT_TRANSACTIONS}) and its
 * producer tries again after {@code retry.backoff.ms}, a fixed 100 ms by default: measured on the
 * embedded broker, one producer's back-to-back transactions waited that long in one of ten. The
 * next transaction therefore runs on the other producer, whose last transaction ended a whole
 * transaction earlier; it still begins only after the one before committed, so the records of one
 * transaction all precede the next one's and a failed transaction is never followed by a
 * committed one. Offsets that two transactions commit for one partition are applied by the group
 * coordinator in the order they were written, so the later one wins whichever markers land first.
 * The producers' {@code retry.backoff.ms} is 10 ms unless the configuration sets it (see
 * {@code DurableSagaConsumer}).
 *
 * <p>Threading. A producer is used by one thread at a time: the committer's thread while a
 * transaction is in flight, the loop thread otherwise.
 */
final class JournalCommitter implements AutoCloseable {
  private final ClusterOptions cluster;
  private final String transactionalIdBase;
  private final String instanceId;
  private final Map<String, Object> producerConfig;
  private final ExecutorService thread;
  /** The two producers that take turns; null before {@link #open} and after a failed one. */
  private final KafkaProducer<byte[], byte[]>[] producers = newPair();
  /** The index of the producer of the next transaction. */
  private int next;
  private CompletableFuture<Outcome> inFlight;

  /**
   * A transaction's outcome: its batch, the error that aborted it (null when it committed), and how
   * long it took from its begin to its commit or abort (0 when unknown).
   */
  record Outcome(JournalWriter.Batch batch, KafkaException error, long nanos) {
    Outcome(JournalWriter.Batch batch, KafkaException error) {
      this(batch, error, 0);
    }
  }

  /**
   * A committer.
   *
   * @param transactionalIdBase the start of the producers' transactional ids, {@link
   *     #transactionalIds} says how they go on
   * @param instanceId the process's stable identity, so that a restart aborts what its previous
   *     incarnation left open; or null for random transactional ids
   */
  JournalCommitter(ClusterOptions cluster, String transactionalIdBase, String instanceId,
      Map<String, Object> producerConfig, String threadName) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.transactionalIdBase = Objects.requireNonNull(transactionalIdBase, "transactionalIdBase");
    this.instanceId = instanceId;
    this.producerConfig = Map.copyOf(producerConfig);
    ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
        r -> Thread.ofPlatform().daemon().name(threadName).unstarted(r));
    executor.prestartAllCoreThreads(); // started with the consumer, not at its first transaction
    this.thread = executor;
  }

  /**
   * The two producers' transactional ids: {@code <base>-<instanceId>} and {@code
   * <base>2-<instanceId>}. No instance id makes either id of another one (they differ right after
   * the base), so two instances of a group never fence each other.
   */
  static List<String> transactionalIds(String base, String instanceId) {
    return List.of(base + "-" + instanceId, base + "2-" + instanceId);
  }

  /**
   * Replaces the producers by new ones (at start, and after a failed transaction, whose producer
   * may be fenced); their transactional ids are new unless the process has a stable identity.
   * Blocks while the new producers initialise.
   *
   * @throws KafkaException when a new producer cannot initialise its transactions
   */
  void open() {
    closeProducers(Duration.ZERO);
    List<String> ids = transactionalIds(transactionalIdBase,
        instanceId != null ? instanceId : UUID.randomUUID().toString());
    try {
      for (int i = 0; i < producers.length; i++) {
        KafkaProducer<byte[], byte[]> p = KafkaClients.transactionalProducer(cluster, ids.get(i), producerConfig);
        producers[i] = p;
        p.initTransactions();
      }
    } catch (RuntimeException e) {
      closeProducers(Duration.ZERO);
      throw e;
    }
    next = 0;
  }

  /** Whether a transaction is in flight and its outcome not yet taken. */
  boolean busy() {
    return inFlight != null;
  }

  /** Starts writing {@code batch} in one transaction; at most one may be in flight. */
  void submit(JournalWriter.Batch batch, ConsumerGroupMetadata group) {
    if (inFlight != null) {
      throw new IllegalStateException("a journal transaction is already in flight");
    }
    KafkaProducer<byte[], byte[]> p = take();
    inFlight = CompletableFuture.supplyAsync(() -> write(p, batch, group), thread);
  }

  /** The in-flight transaction's outcome once it is done (and forgets it), else null. */
  Outcome completed() {
    return inFlight != null && inFlight.isDone() ? await() : null;
  }

  /** Waits for the in-flight transaction and returns its outcome (and forgets it); null when none. */
  Outcome await() {
    CompletableFuture<Outcome> f = inFlight;
    if (f == null) {
      return null;
    }
    inFlight = null;
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(null, new KafkaException("interrupted while a journal transaction was in flight", e));
    } catch (ExecutionException e) {
      return new Outcome(null, new KafkaException("a journal transaction failed: " + e.getCause(), e.getCause()));
    }
  }

  /** Writes {@code batch} in one transaction on the calling thread (none may be in flight). */
  Outcome commitNow(JournalWriter.Batch batch, ConsumerGroupMetadata group) {
    if (inFlight != null) {
      throw new IllegalStateException("a journal transaction is already in flight");
    }
    return write(take(), batch, group);
  }

  /** The producer whose turn it is; the other one has the turn after it. */
  private KafkaProducer<byte[], byte[]> take() {
    KafkaProducer<byte[], byte[]> p = producers[next];
    if (p == null) {
      throw new IllegalStateException("the journal producers are not open");
    }
    next = 1 - next;
    return p;
  }

  private static Outcome write(KafkaProducer<byte[], byte[]> p, JournalWriter.Batch batch,
      ConsumerGroupMetadata group) {
    long t0 = System.nanoTime();
    try {
      p.beginTransaction();
      for (ProducerRecord<byte[], byte[]> r : batch.records()) {
        p.send(r);
      }
      if (!batch.offsets().isEmpty()) {
        p.sendOffsetsToTransaction(batch.offsets(), group);
      }
      p.commitTransaction();
      return new Outcome(batch, null, System.nanoTime() - t0);
    } catch (RuntimeException e) {
      return new Outcome(batch, new KafkaException(describe(e), e), System.nanoTime() - t0);
    }
  }

  /**
   * The error with its root cause: a producer in an error state says only "Cannot execute
   * transactional method because we are in an error state"; the cause (a rejected record, a
   * timeout, fencing) is what an operator can act on.
   */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.toString() : e + ", caused by " + root;
  }

  private void closeProducers(Duration timeout) {
    for (int i = 0; i < producers.length; i++) {
      if (producers[i] != null) {
        try {
          producers[i].close(timeout);
        } catch (RuntimeException ignored) {
          // closing a failed producer
        }
        producers[i] = null;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static KafkaProducer<byte[], byte[]>[] newPair() {
    return (KafkaProducer<byte[], byte[]>[]) new KafkaProducer<?, ?>[2];
  }

  /**
   * Closes: waits up to {@code timeout} for the in-flight transaction (a crash-like close passes
   * zero and leaves it to time out on the broker), then closes the producers.
   */
  void close(Duration timeout) {
    if (inFlight != null && !timeout.isZero()) {
      try {
        inFlight.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // closing anyway
      }
    }
    inFlight = null;
    closeProducers(timeout);
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }
}
