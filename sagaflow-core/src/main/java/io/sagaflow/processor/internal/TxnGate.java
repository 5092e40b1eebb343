package io.sagaflow.processor.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps a transaction's outputs and offsets together in exactly-once mode. Workers hold the gate
 * only for the short step that hands a finished record's outputs to the transactional producer and
 * reports the record finished; the poll thread closes it to commit or abort. With the gate closed
 * and no worker inside, every output sent in the transaction belongs to a record the poll thread
 * has seen finish, and no record it has seen finish has outputs outside it. Handlers run outside the
 * gate, so a slow handler never delays a commit.
 */
final class TxnGate {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition opened = lock.newCondition();
  private final AtomicInteger active = new AtomicInteger();
  private volatile boolean closed;
  private volatile Thread closer;

  /** CompletionReporter: waits while the gate is closed, then enters. Pair with {@link #exit()}. */
  void enter() {
    for (;;) {
      if (closed) {
        lock.lock();
        try {
          while (closed) {
            opened.awaitUninterruptibly();
          }
        } finally {
          lock.unlock();
        }
      }
      active.incrementAndGet();
      if (!closed) {
        return;
      }
      exit(); // closed meanwhile: step back out and wait
    }
  }

  void exit() {
    if (active.decrementAndGet() == 0 && closed) {
      Thread t = closer;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }

  /** Poll thread: closes the gate and waits until no worker is inside. */
  void close() {
    closer = Thread.currentThread();
    closed = true;
    while (active.get() > 0) {
      LockSupport.parkNanos(this, 200_000L);
    }
  }

  /** Poll thread: lets workers in again. */
  void open() {
    lock.lock();
    try {
      closed = false;
      opened.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
