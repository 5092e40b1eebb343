package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SystemTimerTest {

  @Test
  void timersOfOneDurationFireInOrderAndNotEarly() throws Exception {
    try (SystemTimer timer = Timer.system()) {
      List<Integer> fired = new CopyOnWriteArrayList<>();
      CountDownLatch all = new CountDownLatch(20);
      long start = System.nanoTime();
      long[] firedAt = new long[20];
      for (int i = 0; i < 20; i++) {
        int n = i;
        timer.schedule(Duration.ofMillis(50), () -> {
          firedAt[n] = System.nanoTime();
          fired.add(n);
          all.countDown();
        });
      }
      assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(fired).isSorted().hasSize(20);
      assertThat(firedAt[0] - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  @Test
  void cancelledTimersNeverFireWhereverTheyAreInTheirLane() throws Exception {
    try (SystemTimer timer = Timer.system()) {
      List<Integer> fired = new CopyOnWriteArrayList<>();
      List<Timer.Scheduled> handles = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        int n = i;
        handles.add(timer.schedule(Duration.ofMillis(80), () -> fired.add(n)));
      }
      handles.get(0).cancel(); // the head
      handles.get(4).cancel(); // the middle
      handles.get(9).cancel(); // the tail
      handles.get(9).cancel(); // twice is fine
      // Set last in the same lane, so it fires after every timer above: nothing is left to wait for.
      CompletableFuture<Void> after = timer.after(Duration.ofMillis(80));
      after.get(10, TimeUnit.SECONDS);
      assertThat(fired).containsExactly(1, 2, 3, 5, 6, 7, 8);
    }
  }

  /**
   * The second timer of a lane fires at its own deadline once the head is cancelled. A lane that
   * lost its head and waited another full duration (or never re-armed) would make it a second late
   * (or never fire): the bound on lateness is half the duration, far above the timer thread's
   * jitter and far below what the fault costs.
   */
  @Test
  void aCancelledHeadDoesNotDelayTheNext() throws Exception {
    try (SystemTimer timer = Timer.system()) {
      Duration duration = Duration.ofSeconds(1);
      long[] firedAt = new long[1];
      Timer.Scheduled first = timer.schedule(duration, () -> {});
      long secondSetAt = System.nanoTime();
      CountDownLatch secondFired = new CountDownLatch(1);
      timer.schedule(duration, () -> {
        firedAt[0] = System.nanoTime();
        secondFired.countDown();
      });
      first.cancel();
      assertThat(secondFired.await(10, TimeUnit.SECONDS)).as("the second timer fired").isTrue();
      long lateMs = TimeUnit.NANOSECONDS.toMillis(firedAt[0] - secondSetAt - duration.toNanos());
      assertThat(lateMs).as("ms after its deadline").isBetween(0L, duration.toMillis() / 2);
    }
  }

  @Test
  void manyDistinctDurationsAllFireAndCancel() throws Exception {
    try (SystemTimer timer = Timer.system()) {
      int n = SystemTimer.MAX_LANES * 3;
      AtomicInteger fired = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(n);
      List<Timer.Scheduled> cancelled = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        timer.schedule(Duration.ofMillis(10 + i), () -> {
          fired.incrementAndGet();
          done.countDown();
        });
        cancelled.add(timer.schedule(Duration.ofMillis(10 + i), fired::incrementAndGet));
      }
      cancelled.forEach(Timer.Scheduled::cancel);
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      // A later deadline than every timer above: once it fired, a cancelled timer that would fire has.
      timer.after(Duration.ofMillis(10 + n + 50)).get(10, TimeUnit.SECONDS);
      assertThat(fired).hasValue(n);
    }
  }

  @Test
  void aCancelledDelayFutureUnsetsItsTimerAndAZeroDelayIsDone() throws Exception {
    try (SystemTimer timer = Timer.system()) {
      CompletableFuture<Void> d = timer.after(Duration.ofMillis(30));
      assertThat(d.cancel(false)).isTrue();
      assertThat(timer.after(Duration.ZERO)).isCompleted();
      timer.after(Duration.ofMillis(60)).get(10, TimeUnit.SECONDS);
      assertThat(d).isCancelled();
    }
  }

  @Test
  void aClosedTimerRefusesNewTimers() {
    SystemTimer timer = Timer.system();
    timer.close();
    assertThatThrownBy(() -> timer.schedule(Duration.ofSeconds(1), () -> {}))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> timer.after(Duration.ofSeconds(1)).get())
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalStateException.class);
  }
}
