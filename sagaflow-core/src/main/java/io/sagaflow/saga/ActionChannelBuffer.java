package io.sagaflow.saga;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO buffer with waiting takers; the storage behind an {@link ActionChannel}, and usable
 * on its own.
 *
 * <p>When full, {@link #put} follows the {@link OverflowPolicy}: {@link OverflowPolicy#FAIL} (the
 * default) throws {@link IllegalStateException}, {@link OverflowPolicy#BLOCK} waits for room.
 * {@link #offer} never blocks and returns false when full. A channel fed by Kafka always uses
 * {@code offer}, never blocking the shared reply consumer: when its buffer is full the channel fails
 * and the saga's next take on it throws {@link IllegalStateException} naming the capacity.
 *
 * <p>Takers waiting on an empty buffer are served in arrival order. A pending
 * {@link #takeAsync()} whose future is cancelled consumes nothing; an element that was handed to a
 * taker but not used can be returned to the head with {@link #pushFront}.
 *
 * <pre>{@code
 * ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
 * buf.put("a");
 * String a = buf.take();
 * }</pre>
 *
 * @param <T> the element type
 */
public final class ActionChannelBuffer<T> {

  /** What {@link #put} does when the buffer is full. */
  public enum OverflowPolicy {
    /** Throw {@link IllegalStateException}. */
    FAIL,
    /** Wait until there is room. */
    BLOCK
  }

  /** The default capacity of a channel's buffer. */
  public static final int DEFAULT_CAPACITY = 1024;

  private final int capacity;
  private final OverflowPolicy policy;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  private final Deque<T> elements = new ArrayDeque<>();
  private final Deque<CompletableFuture<T>> takers = new ArrayDeque<>();

  /**
   * A buffer.
   *
   * @param capacity the maximum number of buffered elements, positive
   * @param policy what {@link #put} does when full
   */
  public ActionChannelBuffer(int capacity, OverflowPolicy policy) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("ActionChannelBuffer capacity (" + capacity + ") must be positive");
    }
    this.capacity = capacity;
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** A buffer of {@code capacity} that fails puts when full. */
  public static <T> ActionChannelBuffer<T> bounded(int capacity) {
    return new ActionChannelBuffer<>(capacity, OverflowPolicy.FAIL);
  }

  /** A buffer of {@link #DEFAULT_CAPACITY} that fails puts when full. */
  public static <T> ActionChannelBuffer<T> create() {
    return bounded(DEFAULT_CAPACITY);
  }

  /**
   * Adds an element, handing it straight to the oldest waiting taker if any.
   *
   * @throws IllegalStateException when full and the policy is {@code FAIL}
   * @throws InterruptedException when interrupted while waiting for room ({@code BLOCK})
   */
  public void put(T element) throws InterruptedException {
    Objects.requireNonNull(element, "element");
    lock.lockInterruptibly();
    try {
      while (elements.size() >= capacity && takers.isEmpty()) {
        if (policy == OverflowPolicy.FAIL) {
          throw new IllegalStateException("ActionChannelBuffer is full (capacity " + capacity
              + "): take faster, raise the capacity, or use OverflowPolicy.BLOCK");
        }
        notFull.await();
      }
      enqueue(element);
    } finally {
      lock.unlock();
    }
  }

  /** Adds an element unless the buffer is full; never blocks. Returns whether it was added. */
  public boolean offer(T element) {
    Objects.requireNonNull(element, "element");
    lock.lock();
    try {
      if (elements.size() >= capacity && takers.isEmpty()) {
        return false;
      }
      enqueue(element);
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void enqueue(T element) {
    CompletableFuture<T> taker;
    while ((taker = takers.poll()) != null) {
      if (taker.complete(element)) {
        return;
      }
      // That taker was cancelled meanwhile; try the next one.
    }
    elements.addLast(element);
  }

  /**
   * Returns an element that was taken but not used to the head of the buffer (or to the oldest
   * waiting taker). May exceed the capacity by the elements returned this way.
   */
  public void pushFront(T element) {
    Objects.requireNonNull(element, "element");
    lock.lock();
    try {
      CompletableFuture<T> taker;
      while ((taker = takers.poll()) != null) {
        if (taker.complete(element)) {
          return;
        }
      }
      elements.addFirst(element);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The oldest element, now or when one arrives. Cancelling the returned future before it completes
   * consumes nothing; once it completed, the element is the caller's (see {@link #pushFront}).
   */
  public CompletableFuture<T> takeAsync() {
    lock.lock();
    try {
      T head = elements.poll();
      if (head != null) {
        notFull.signal();
        return CompletableFuture.completedFuture(head);
      }
      CompletableFuture<T> taker = new CompletableFuture<>();
      takers.addLast(taker);
      taker.whenComplete((v, e) -> {
        if (e instanceof CancellationException) {
          removeTaker(taker);
        }
      });
      return taker;
    } finally {
      lock.unlock();
    }
  }

  private void removeTaker(CompletableFuture<T> taker) {
    lock.lock();
    try {
      takers.remove(taker);
    } finally {
      lock.unlock();
    }
  }

  /** The oldest element, waiting for one; an interrupted wait consumes nothing. */
  public T take() throws InterruptedException {
    CompletableFuture<T> f = takeAsync();
    try {
      return f.get();
    } catch (InterruptedException e) {
      giveBack(f);
      throw e;
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: buffer takers never fail", e);
    }
  }

  /** The oldest element, waiting at most {@code timeout}; null on timeout (nothing consumed). */
  public T poll(Duration timeout) throws InterruptedException {
    CompletableFuture<T> f = takeAsync();
    try {
      return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // Either the cancel wins (nothing consumed) or the element arrived just now and is ours.
      return f.cancel(false) ? null : f.join();
    } catch (InterruptedException e) {
      giveBack(f);
      throw e;
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: buffer takers never fail", e);
    }
  }

  private void giveBack(CompletableFuture<T> f) {
    if (!f.cancel(false) && !f.isCancelled()) {
      // Completed concurrently with the interruption: nobody will use it, so put it back.
      pushFront(f.join());
    }
  }

  /** The number of buffered elements. */
  public int size() {
    lock.lock();
    try {
      return elements.size();
    } finally {
      lock.unlock();
    }
  }

  /** The capacity. */
  public int capacity() {
    return capacity;
  }

  /** The overflow policy. */
  public OverflowPolicy policy() {
    return policy;
  }
}
