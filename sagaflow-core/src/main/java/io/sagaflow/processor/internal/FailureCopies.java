package io.sagaflow.processor.internal;

import io.sagaflow.kafka.internal.WriteFailures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortedException;

/**
 * Exactly-once: writes the copies that a failure handler sent for a record it finished (its
 * retry-topic or dead-letter record), so that a topic which rejects them holds back that record
 * alone instead of every partition.
 *
 * <p>Design note. Inside a Kafka transaction one rejected write (a record over the topic's {@code
 * max.message.bytes}, a missing or unauthorized topic, an invalid name) puts the producer into an
 * abortable error state: the whole transaction must abort, and with it the outputs of every record
 * finished in it. Sending a dead letter into the shared batch transaction therefore made one bad
 * copy abort, rewind and re-run every finished record of every partition, again and again while the
 * topic rejected it (issue 14: 122,918 handler runs for 2,998 records). Instead:
 *
 * <ol>
 *   <li>The worker hands the copies over (a {@link Handoff}) instead of sending them, and waits.
 *       The record stays unfinished: its key (or partition) waits; every other record goes on.
 *   <li>The poll thread, with the {@link TxnGate} closed, first commits the open transaction (the
 *       outputs and offsets of the records finished so far), so the transaction is empty.
 *   <li>It sends only the copies into that fresh transaction and waits for their acknowledgements
 *       (at most half the transaction timeout, capped at 10 s).
 *   <li>All acknowledged: the records are marked finished there, on the poll thread, before the gate
 *       opens. The transaction goes on as the next batch transaction, so each copy commits in the
 *       same transaction as the offset that passes its record (or the commit metadata that marks it
 *       finished): never one without the other, so a {@code read_committed} reader sees each copy
 *       exactly once. If that transaction aborts later, both go and the record runs again.
 *   <li>A write rejected: the transaction, which holds nothing but copies, is aborted; no finished
 *       work is lost and nothing is rewound. A copy whose own write failed is given up with the
 *       broker's error in words (topic, cause, fix, see {@link WriteFailures}); its worker backs off
 *       and asks its failure handler again. Copies that failed only because the transaction aborted
 *       are tried again at once, in another fresh transaction without the rejected ones.
 * </ol>
 *
 * <p>Cost: an early commit when copies are pending, and one short transaction per failed attempt;
 * copies are rare. If the open transaction cannot be emptied first (finished records whose offsets
 * cannot be committed yet: the commit metadata is over its cap), the copies join it as before, and
 * a rejected one aborts and rewinds it. A worker whose record is abandoned (revoked, closing) while
 * it waits withdraws its hand-off, unless the poll thread has already taken it.
 */
final class FailureCopies {
  /** Outcomes of a {@link Handoff}. */
  static final int WRITTEN = 1;

  static final int FAILED = 2;
  static final int ABANDONED = 3;
  /** Rounds of one {@link #write}: copies hit only by another's rejection get this many tries. */
  private static final int ROUNDS = 3;

  /** What the copies need of the committer; poll thread, gate closed. */
  interface Transaction {
    Producer<byte[], byte[]> producer();

    /**
     * Aborts the open transaction and begins another; returns false when that cost more (the
     * transaction held outputs of finished records, or the producer had to be replaced): every
     * partition was rewound.
     */
    boolean abort(Throwable cause);

    /** {@code d}'s copies are in the open transaction: it is finished there. */
    void finished(Delivery<?, ?> d);
  }

  /** One record's copies on their way from its worker to the poll thread, and the outcome back. */
  static final class Handoff {
    private static final int PENDING = 0;
    private static final int TAKEN = 1;
    private static final int WITHDRAWN = 2;

    final Delivery<?, ?> delivery;
    private final List<Delivery.Output> copies;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile int outcome;
    private volatile Throwable error;
    /** The acknowledgements of the last round, poll thread only. */
    private List<RecordMetadata> acks = List.of();

    Handoff(Delivery<?, ?> delivery, List<Delivery.Output> copies) {
      this.delivery = delivery;
      this.copies = copies == null ? List.of() : copies;
    }

    /**
     * Worker: waits for the outcome ({@link #WRITTEN}, {@link #FAILED} with {@link #error()}, or
     * {@link #ABANDONED}). Gives up when the record is abandoned before the poll thread took it.
     */
    int await(CompletionReporter w) {
      boolean interrupted = false;
      try {
        for (;;) {
          try {
            if (done.await(20, TimeUnit.MILLISECONDS)) {
              return outcome;
            }
          } catch (InterruptedException e) {
            interrupted = true; // a close that timed out: give up like an abandoned record
          }
          if ((interrupted || w.abandoned(delivery)) && state.compareAndSet(PENDING, WITHDRAWN)) {
            end(ABANDONED, null);
            return ABANDONED;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** Why the copies could not be written (a {@link KafkaException} naming topic, cause and fix). */
    Throwable error() {
      return error;
    }

    /** Completes the copies' futures, then tells the worker. */
    private void end(int outcome, Throwable error) {
      for (int i = 0; i < copies.size(); i++) {
        var future = copies.get(i).future();
        switch (outcome) {
          case WRITTEN -> future.complete(acks.get(i));
          case FAILED -> future.completeExceptionally(error);
          default -> future.cancel(false); // given up, no verdict on the topic
        }
      }
      this.error = error;
      this.outcome = outcome;
      done.countDown();
    }
  }

  private record Failure(ProducerRecord<byte[], byte[]> copy, Throwable error) {}

  private final List<Handoff> pending = new ArrayList<>();
  private final Duration ackTimeout;

  /** {@code ackTimeout}: how long a round waits for the copies' acknowledgements. */
  FailureCopies(Duration ackTimeout) {
    this.ackTimeout = ackTimeout;
  }

  /** Poll thread: a worker handed copies over. */
  void add(Handoff h) {
    pending.add(h);
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Poll thread: the loop ends; tells every waiting worker its record is given up. */
  void abandonAll() {
    for (Handoff h : pending) {
      if (h.state.compareAndSet(Handoff.PENDING, Handoff.TAKEN)) {
        h.end(ABANDONED, null);
      }
    }
    pending.clear();
  }

  /** Poll thread, gate closed: writes the pending copies (see the design note). */
  void write(Transaction txn) {
    List<Handoff> batch = new ArrayList<>(pending.size());
    for (Handoff h : pending) {
      if (!h.state.compareAndSet(Handoff.PENDING, Handoff.TAKEN)) {
        continue; // withdrawn by its worker
      }
      if (h.delivery.state.revoked || h.delivery.state.detached) {
        h.end(ABANDONED, null);
      } else {
        batch.add(h);
      }
    }
    pending.clear();
    List<Handoff> taken = List.copyOf(batch);
    try {
      writeRounds(batch, txn);
    } finally {
      for (Handoff h : taken) {
        if (h.done.getCount() > 0) {
          h.end(ABANDONED, null); // the loop failed half-way: no worker waits forever
        }
      }
    }
  }

  private void writeRounds(List<Handoff> batch, Transaction txn) {
    for (int round = 1; !batch.isEmpty(); round++) {
      Map<Handoff, Failure> failed = send(batch, txn.producer());
      if (failed.isEmpty()) {
        for (Handoff h : batch) {
          txn.finished(h.delivery);
          h.end(WRITTEN, null);
        }
        return;
      }
      Map.Entry<Handoff, Failure> firstEntry = failed.entrySet().iterator().next();
      Failure first = firstEntry.getValue();
      if (!txn.abort(explain(firstEntry.getKey(), first))) {
        for (Handoff h : batch) {
          Failure f = failed.get(h);
          if (f != null && !collateral(f.error())) {
            h.end(FAILED, explain(h, f));
          } else {
            h.end(ABANDONED, null); // rewound: the record runs again
          }
        }
        return;
      }
      List<Handoff> again = new ArrayList<>();
      Failure culprit = null;
      for (Handoff h : batch) {
        Failure f = failed.get(h);
        if (f != null && !collateral(f.error())) {
          culprit = f;
          h.end(FAILED, explain(h, f));
        } else {
          again.add(h);
        }
      }
      if (again.size() == batch.size() || round == ROUNDS) {
        for (Handoff h : again) {
          h.end(FAILED, explain(h, failed.getOrDefault(h, culprit != null ? culprit : first)));
        }
        return;
      }
      batch = again;
    }
  }

  /** Sends every copy of {@code batch} and waits for the acks; the failures, first one first. */
  private Map<Handoff, Failure> send(List<Handoff> batch, Producer<byte[], byte[]> producer) {
    Map<Handoff, Failure> failed = new java.util.LinkedHashMap<>();
    List<List<Future<RecordMetadata>>> sent = new ArrayList<>(batch.size());
    for (Handoff h : batch) {
      List<Future<RecordMetadata>> futures = new ArrayList<>(h.copies.size());
      for (Delivery.Output o : h.copies) {
        try {
          futures.add(producer.send(o.record()));
        } catch (RuntimeException e) {
          failed.putIfAbsent(h, new Failure(o.record(), e));
          futures.add(null);
        }
      }
      sent.add(futures);
    }
    long deadline = System.nanoTime() + ackTimeout.toNanos();
    for (int i = 0; i < batch.size(); i++) {
      Handoff h = batch.get(i);
      List<RecordMetadata> acks = new ArrayList<>(h.copies.size());
      List<Future<RecordMetadata>> futures = sent.get(i);
      for (int j = 0; j < futures.size(); j++) {
        Future<RecordMetadata> f = futures.get(j);
        if (f == null) {
          acks.add(null);
          continue;
        }
        ProducerRecord<byte[], byte[]> copy = h.copies.get(j).record();
        try {
          acks.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (ExecutionException e) {
          failed.putIfAbsent(h, new Failure(copy, e.getCause() == null ? e : e.getCause()));
          acks.add(null);
        } catch (java.util.concurrent.TimeoutException e) {
          failed.putIfAbsent(h, new Failure(copy, new TimeoutException("no acknowledgement of the write to "
              + copy.topic() + " within " + ackTimeout.toMillis() + " ms")));
          acks.add(null);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failed.putIfAbsent(h, new Failure(copy, new KafkaException("interrupted while writing to " + copy.topic(), e)));
          acks.add(null);
        }
      }
      h.acks = acks;
    }
    return failed;
  }

  /** Whether the write failed only because another write aborted the transaction. */
  static boolean collateral(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof TransactionAbortedException) {
        return true;
      }
    }
    String m = error.getMessage();
    return m != null && m.contains("in an error state");
  }

  private static KafkaException explain(Handoff h, Failure f) {
    String topic = f.copy().topic();
    return new KafkaException("exactly-once: " + WriteFailures.explain(topic, f.error(), WriteFailures.size(f.copy()))
        + ". The failure handler's copy of " + h.delivery.raw.topic() + "-" + h.delivery.raw.partition() + "@"
        + h.delivery.raw.offset() + " was not written; the record stays unfinished (only its key or partition "
        + "waits, other records keep committing) and is written once " + topic + " accepts it",
        WriteFailures.root(f.error()));
  }
}
