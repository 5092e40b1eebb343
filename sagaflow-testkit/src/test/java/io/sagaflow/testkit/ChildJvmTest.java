package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

class ChildJvmTest {
  /** A child that says it is ready, then waits to be killed. */
  public static final class Sleeper {
    public static void main(String[] args) throws InterruptedException {
      System.out.println("READY " + args[0]);
      System.out.flush();
      new CountDownLatch(1).await(); // until killed
    }
  }

  @Test
  void startsAMainClassInItsOwnJvmAndKillsIt() throws Exception {
    try (ChildJvm child = ChildJvm.start(Sleeper.class, "hello")) {
      assertThat(child.awaitLine(l -> l.startsWith("READY"), Duration.ofSeconds(30))).isEqualTo("READY hello");
      assertThat(child.isAlive()).isTrue();
      child.kill();
      assertThat(child.isAlive()).isFalse();
    }
  }
}
