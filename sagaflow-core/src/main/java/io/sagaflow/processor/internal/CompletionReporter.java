package io.sagaflow.processor.internal;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * What a thread that runs records ({@link Lane}, the publisher's subscription) reports back
 * through: buffers finished and dropped offsets and sends them to the owning poll thread as {@link
 * Command.Completion}s in batches (one command per run of records, not per record), and waits
 * without busy looping while a record backs off.
 */
abstract class CompletionReporter {
  volatile Thread thread;
  volatile boolean halted;

  private long[] offsets = new long[32];
  private int finished;
  private int dropped;
  private long bytes;
  private PartitionState bufState;
  private PollLoop<?, ?> bufLoop;

  final void finished(Delivery<?, ?> d) {
    buffer(d);
    if (finished == offsets.length) {
      offsets = Arrays.copyOf(offsets, offsets.length * 2);
    }
    offsets[finished++] = d.raw.offset();
    bytes += d.bytes;
  }

  /** A record given up on (revoked, closing, stopped): it leaves in-flight accounting unfinished. */
  final void dropped(Delivery<?, ?> d) {
    if (d.loop.finishOnAck && !d.claimFinish()) {
      return; // already acked: counted by its Ack command
    }
    buffer(d);
    dropped++;
    bytes += d.bytes;
  }

  private void buffer(Delivery<?, ?> d) {
    if (bufState != d.state) {
      flush();
      bufState = d.state;
      bufLoop = d.loop;
    }
  }

  final boolean hasBuffered() {
    return finished + dropped > 0;
  }

  final void flush() {
    if (finished + dropped == 0) {
      return;
    }
    bufLoop.enqueue(
        new Command.Completion(bufState, Arrays.copyOf(offsets, finished), finished, dropped, bytes));
    finished = 0;
    dropped = 0;
    bytes = 0;
  }

  final boolean abandoned(Delivery<?, ?> d) {
    return halted || d.state.revoked || d.loop.aborted;
  }

  /** Waits {@code delay} unless the record is abandoned meanwhile; true if still wanted. */
  final boolean sleep(Duration delay, Delivery<?, ?> d) {
    flush(); // the wait may be long: let finished work be committed meanwhile
    long deadline = System.nanoTime() + delay.toNanos();
    thread = Thread.currentThread();
    while (!abandoned(d)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      LockSupport.parkNanos(this, left);
    }
    return false;
  }

  /** Wakes the thread if it waits in {@link #sleep}. */
  final void wake() {
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }
}
