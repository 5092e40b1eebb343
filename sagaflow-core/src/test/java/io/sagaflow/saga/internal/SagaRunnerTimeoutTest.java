package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.SagaOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The saga timeout on virtual time: it fires when set, and never when switched off. */
class SagaRunnerTimeoutTest {
  private final LoopbackBus bus = new LoopbackBus();
  private final ManualTimer timer = new ManualTimer();

  private SagaRunner runner(Duration timeout) {
    SagaEngine engine = new SagaEngine(List.of(), bus, bus, timer, EffectRecorder.PASS_THROUGH, ActionCodec.create(),
        16, Activity.NONE);
    return new SagaRunner(engine, timer, timeout, record -> null);
  }

  @Test
  void aRunWithoutTimeoutOutlivesAnyAmountOfTime() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    SagaRunner runner = runner(SagaOptions.NO_TIMEOUT);
    CompletableFuture<Void> run = runner.run((action, ctx) -> {
      started.countDown();
      release.await();
    }, Action.of("BEGIN", "tx-1", null), null);
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(timer.pending()).as("no deadline scheduled").isZero();
    timer.advance(Duration.ofDays(365L * 1000));
    assertThat(run).isNotDone();
    release.countDown();
    run.get(30, TimeUnit.SECONDS);
    assertThat(runner.running()).isZero();
  }

  @Test
  void aRunWithATimeoutIsCancelledWhenItExpires() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    SagaRunner runner = runner(Duration.ofMinutes(1));
    CompletableFuture<Void> run = runner.run((action, ctx) -> {
      started.countDown();
      new CountDownLatch(1).await(); // until cancelled
    }, Action.of("BEGIN", "tx-1", null), null);
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(timer.pending()).isEqualTo(1);
    timer.advance(Duration.ofMinutes(2));
    try {
      run.get(30, TimeUnit.SECONDS);
      throw new AssertionError("the run should have timed out");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(TimeoutException.class);
    }
  }
}
