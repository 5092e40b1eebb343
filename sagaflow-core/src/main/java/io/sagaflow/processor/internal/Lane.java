package io.sagaflow.processor.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A serial queue of work: what runs one at a time (a key in KEY mode, a partition in PARTITION
 * mode). The poll thread is the only producer; a runner ({@link LaneScheduler}) drains the lane
 * while it is non-empty and moves on when it empties, so idle lanes cost no thread.
 *
 * <p>Design: {@code pending} counts items offered and not yet done. The producer offers then
 * increments; the transition 0 → 1 starts a worker. The worker decrements after each item and
 * stops at 0, which it may only reach after flushing its buffered completions (it flushes before
 * each handler call and when it is about to take the last item), so "lane idle" implies "its
 * completions are in the poll thread's queue", and a blocking handler never holds back the
 * completions of the records before it. Only the poll thread adds, so it may drop a lane whose count is 0.
 */
final class Lane extends CompletionReporter {
  final PartitionState state;
  private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();

  private final HandlerInvoker<?, ?> invoker;

  Lane(PartitionState state, HandlerInvoker<?, ?> invoker) {
    this.state = state;
    this.invoker = invoker;
  }

  /** Poll thread only. Returns true if the lane became active: the caller must have it run. */
  boolean submit(Object item) {
    queue.offer(item);
    return pending.getAndIncrement() == 0;
  }

  boolean idle() {
    return pending.get() == 0;
  }

  void run() {
    thread = Thread.currentThread();
    for (; ; ) {
      Object item = queue.poll();
      if (hasBuffered()) {
        flush(); // the next handler may block for long: finished work must not wait behind it
      }
      invoker.process(item, this);
      if (hasBuffered() && pending.get() == 1) {
        flush();
      }
      if (pending.decrementAndGet() == 0) {
        return;
      }
    }
  }
}
