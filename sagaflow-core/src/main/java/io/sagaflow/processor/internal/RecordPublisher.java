package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorRecord;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Flow.Publisher} view of a processor. The subscriber's {@code request(n)} is the only
 * source of demand: the poll loops put at most {@code prefetch} records in the buffer and pause
 * every partition while it is full, so with no demand nothing is fetched beyond the prefetch.
 * One delivery thread calls {@code onNext} serially, in fetch order (offset order per partition).
 * Records are finished when the subscriber calls {@link ProcessorRecord#ack()}.
 *
 * <p>Once the subscription ends (cancelled, failed, completed) nothing more is buffered, the
 * records still buffered are dropped unfinished (never committed: the group's next consumer gets
 * them), so that a close does not wait for them, and the subscriber is no longer referenced. The
 * Reactive Streams TCK checks this class ({@code RecordPublisherTckTest}).
 */
final class RecordPublisher<K, V> implements Flow.Publisher<ProcessorRecord<K, V>> {
  private static final Logger LOG = LoggerFactory.getLogger(RecordPublisher.class);

  private final ConcurrentLinkedQueue<Delivery<K, V>> buffer = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final int prefetch;
  private final AtomicBoolean subscribed = new AtomicBoolean();
  private volatile Subscription subscription;
  private volatile HandlerInvoker<K, V> invoker;
  private volatile boolean terminated;
  /** The subscription ended (cancelled, failed or completed): nothing more is buffered. */
  private volatile boolean ended;
  private volatile Throwable terminalError;

  RecordPublisher(int prefetch) {
    this.prefetch = prefetch;
  }

  void setInvoker(HandlerInvoker<K, V> invoker) {
    this.invoker = invoker;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ProcessorRecord<K, V>> subscriber) {
    Objects.requireNonNull(subscriber, "subscriber (Reactive Streams rule 1.9)");
    if (!subscribed.compareAndSet(false, true)) {
      subscriber.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
      });
      subscriber.onError(new IllegalStateException(
          "a processor's publisher accepts one subscriber; create another processor for another"));
      return;
    }
    Subscription s = new Subscription(subscriber);
    subscription = s;
    subscriber.onSubscribe(s);
    Thread.ofVirtual().name("sagaflow-publisher").start(s);
  }

  /** Poll thread: how many more records may be buffered (none once the subscription ended). */
  long capacity() {
    return ended ? 0 : prefetch - (long) size.get();
  }

  /** Poll thread. */
  void offer(Delivery<K, V> d) {
    buffer.offer(d);
    size.incrementAndGet();
  }

  /** Poll thread, after a batch. */
  void signal() {
    Subscription s = subscription;
    if (s != null) {
      s.wake();
    }
  }

  /** Poll thread: removes buffered records of a revoked assignment; returns {count, bytes}. */
  long[] purge(PartitionState state) {
    long count = 0;
    long bytes = 0;
    for (Iterator<Delivery<K, V>> it = buffer.iterator(); it.hasNext(); ) {
      Delivery<K, V> d = it.next();
      if (d.state == state && buffer.remove(d)) {
        size.decrementAndGet();
        d.claimFinish();
        count++;
        bytes += d.bytes;
      }
    }
    return new long[] {count, bytes};
  }

  /** Called once every poll loop has ended. */
  void terminate(Throwable error) {
    terminalError = error;
    terminated = true;
    signal();
  }

  final class Subscription extends CompletionReporter implements Flow.Subscription, Runnable {
    /** Null once the subscription ended: a cancelled subscriber must become unreachable (rule 3.13). */
    private volatile Flow.Subscriber<? super ProcessorRecord<K, V>> subscriber;
    private final AtomicLong demand = new AtomicLong();
    private volatile boolean cancelled;
    private volatile Throwable badRequest;

    Subscription(Flow.Subscriber<? super ProcessorRecord<K, V>> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        badRequest = new IllegalArgumentException("request(" + n + ") must be positive (rule 3.9)");
      } else {
        demand.getAndUpdate(d -> d + n < 0 ? Long.MAX_VALUE : d + n);
      }
      wake();
    }

    @Override
    public void cancel() {
      cancelled = true;
      wake();
    }

    /**
     * Delivers until the subscription ends, then drops what is buffered (and what a poll thread
     * still adds) until the processor terminates: records nobody will receive leave the in-flight
     * count unfinished, never committed, so that a close does not wait for them.
     */
    @Override
    public void run() {
      thread = Thread.currentThread();
      try {
        deliverUntilTheEnd();
      } catch (Throwable t) {
        LOG.error("Subscriber failed; cancelling its subscription", t);
        cancelled = true;
      } finally {
        subscriber = null; // a subscriber that is done with us must become unreachable (rule 3.13)
        ended = true;
        dropUntilTerminated();
      }
    }

    private void deliverUntilTheEnd() {
      Flow.Subscriber<? super ProcessorRecord<K, V>> subscriber = this.subscriber;
      while (!cancelled) {
        if (badRequest != null) {
          cancelled = true;
          subscriber.onError(badRequest);
          return;
        }
        Delivery<K, V> d = demand.get() > 0 ? buffer.poll() : null;
        if (d != null) {
          size.decrementAndGet();
          deliver(d);
          flush();
          continue;
        }
        if (terminated && (buffer.isEmpty() || demand.get() == 0)) {
          Throwable error = terminalError;
          if (error != null) {
            subscriber.onError(error);
          } else {
            subscriber.onComplete();
          }
          return;
        }
        LockSupport.parkNanos(this, 100_000_000L);
      }
    }

    private void dropUntilTerminated() {
      while (true) {
        Delivery<K, V> d;
        while ((d = buffer.poll()) != null) {
          size.decrementAndGet();
          dropped(d);
        }
        flush();
        if (terminated) {
          return;
        }
        LockSupport.parkNanos(this, 100_000_000L);
      }
    }

    private void deliver(Delivery<K, V> d) {
      if (abandoned(d)) {
        dropped(d);
        return;
      }
      if (invoker.runRecord(d, this, null, true) != HandlerInvoker.SUCCEEDED) {
        return; // a poison pill went to the failure handler instead of the subscriber
      }
      demand.decrementAndGet();
      Flow.Subscriber<? super ProcessorRecord<K, V>> s = subscriber;
      if (s != null) {
        s.onNext(d);
      }
    }
  }
}
