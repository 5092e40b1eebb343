package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ActionChannelBufferTest {

  @Test
  void returnsElementsInFifoOrder() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
    buf.put("a");
    buf.put("b");
    buf.put("c");
    assertThat(buf.size()).isEqualTo(3);
    assertThat(buf.take()).isEqualTo("a");
    assertThat(buf.take()).isEqualTo("b");
    assertThat(buf.take()).isEqualTo("c");
    assertThat(buf.size()).isZero();
  }

  @Test
  void servesWaitingTakersInArrivalOrder() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
    CompletableFuture<String> first = buf.takeAsync();
    CompletableFuture<String> second = buf.takeAsync();
    assertThat(first).isNotDone();
    buf.put("x");
    buf.put("y");
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("x");
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("y");
    assertThat(buf.size()).isZero();
  }

  @Test
  void blockingTakeWakesWhenAnElementArrives() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
    CompletableFuture<String> got = new CompletableFuture<>();
    Thread taker = Thread.ofVirtual().start(() -> {
      try {
        got.complete(buf.take());
      } catch (InterruptedException e) {
        got.completeExceptionally(e);
      }
    });
    buf.put("late");
    assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo("late");
    taker.join();
  }

  @Test
  void aCancelledTakeConsumesNothing() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
    CompletableFuture<String> cancelled = buf.takeAsync();
    assertThat(cancelled.cancel(false)).isTrue();
    buf.put("kept");
    assertThat(buf.size()).isEqualTo(1);
    assertThat(buf.take()).isEqualTo("kept");
  }

  @Test
  void anInterruptedTakeConsumesNothing() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
    CountDownLatch interrupted = new CountDownLatch(1);
    Thread taker = Thread.ofVirtual().start(() -> {
      try {
        buf.take();
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
    });
    Await.until("the taker waits", () -> taker.getState() == Thread.State.WAITING);
    taker.interrupt();
    assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
    buf.put("kept");
    assertThat(buf.take()).isEqualTo("kept");
  }

  @Test
  void pushFrontReturnsAnElementToTheHead() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(10);
    buf.put("b");
    buf.pushFront("a");
    assertThat(buf.take()).isEqualTo("a");
    assertThat(buf.take()).isEqualTo("b");
  }

  @Test
  void failPolicyThrowsAClearErrorWhenFull() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(2);
    buf.put("a");
    buf.put("b");
    assertThat(buf.offer("c")).isFalse();
    assertThatThrownBy(() -> buf.put("c"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("full (capacity 2)");
    assertThat(buf.size()).isEqualTo(2);
  }

  @Test
  void blockPolicyWaitsForRoom() throws Exception {
    ActionChannelBuffer<String> buf = new ActionChannelBuffer<>(1, ActionChannelBuffer.OverflowPolicy.BLOCK);
    buf.put("a");
    CountDownLatch putDone = new CountDownLatch(1);
    Thread putter = Thread.ofVirtual().start(() -> {
      try {
        buf.put("b");
        putDone.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Await.until("the putter waits", () -> putter.getState() == Thread.State.WAITING);
    assertThat(putDone.getCount()).isEqualTo(1);
    assertThat(buf.take()).isEqualTo("a");
    assertThat(putDone.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(buf.take()).isEqualTo("b");
  }

  @Test
  void pollReturnsNullOnTimeoutWithoutConsuming() throws Exception {
    ActionChannelBuffer<String> buf = ActionChannelBuffer.bounded(2);
    assertThat(buf.poll(Duration.ofMillis(1))).isNull();
    buf.put("a");
    assertThat(buf.poll(Duration.ofSeconds(10))).isEqualTo("a");
  }

  @Test
  void rejectsANonPositiveCapacity() {
    assertThatThrownBy(() -> ActionChannelBuffer.bounded(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ActionChannelBuffer capacity (0) must be positive");
  }
}
