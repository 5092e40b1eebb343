package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.keys;
import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.processor.Ordering;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Dispatch from the backlogs with a MockConsumer and a fake clock: fair share, backlog, not-before. */
@Timeout(30) // a wrong drain or dispatch would otherwise hang on the fake clock
class DispatcherTest {
  private static final TopicPartition P0 = tp(0);
  private static final TopicPartition P1 = tp(1);

  @Test
  void aBlockedKeyTakesOnlyItsShareAndTheOtherPartitionFlows() {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger coldDone = new AtomicInteger();
    LoopHarness h = new LoopHarness(LoopHarness.options().withOrdering(Ordering.KEY).withMaxInFlight(20), r -> {
      if (r.partition() == 0) {
        release.await();
      } else {
        coldDone.incrementAndGet();
      }
    }).assign(P0, P1);
    try {
      h.add(P0, 0, keys("hot", 100)); // one key: its records queue behind the blocked one
      String[] cold = new String[30];
      for (int i = 0; i < cold.length; i++) {
        cold[i] = "k" + i;
      }
      h.add(P1, 0, cold);
      h.loop.turn();
      // Both partitions wait: each first gets half of the 20 slots, whichever was polled first.
      assertThat(h.state(P0).outstanding).isEqualTo(10);
      assertThat(h.state(P1).outstanding).isEqualTo(10);
      h.loop.turn();
      assertThat(h.consumer.paused()).as("its backlog waits").contains(P0);

      assertThat(h.turnUntil(() -> coldDone.get() == 30 && h.state(P1).outstanding == 0)).as("partition 1 drains while 0 is blocked").isTrue();
      assertThat(h.state(P1).outstanding).isZero();
      assertThat(h.state(P0).backlog).isNotNull();
    } finally {
      release.countDown();
    }
  }

  @Test
  void recordsOverTheLimitWaitInTheBacklogWithTheirPartitionPausedAndRunOnce() {
    CountDownLatch release = new CountDownLatch(1);
    Map<Long, Integer> runs = new ConcurrentHashMap<>();
    LoopHarness h = new LoopHarness(LoopHarness.options().withOrdering(Ordering.UNORDERED).withMaxInFlight(5), r -> {
      release.await();
      runs.merge(r.offset(), 1, Integer::sum);
    }).assign(P0);
    h.add(P0, 0, keys("k", 12));
    h.loop.turn();
    assertThat(h.state(P0).outstanding).isEqualTo(5);
    assertThat(h.state(P0).backlog).hasSize(12);
    assertThat(h.state(P0).backlogFrom).isEqualTo(5);
    assertThat(h.inFlight().get()).isEqualTo(5);
    h.loop.turn();
    assertThat(h.consumer.paused()).containsExactly(P0);

    release.countDown();
    assertThat(h.turnUntil(() -> runs.size() == 12 && h.state(P0).outstanding == 0)).isTrue();
    h.loop.turn();
    assertThat(runs.values()).allMatch(n -> n == 1);
    assertThat(h.state(P0).backlog).isNull();
    assertThat(h.consumer.paused()).isEmpty();
    assertThat(h.inFlight().get()).isZero();
    assertThat(h.state(P0).tracker.commitOffset()).isEqualTo(12);
  }

  @Test
  void aRecordNotDueYetIsRewoundAndItsPartitionPausedUntilTheFakeClockReachesIt() {
    Set<Long> ran = ConcurrentHashMap.newKeySet();
    long[] dueMillis = new long[1];
    LoopHarness loop = new LoopHarness(LoopHarness.options()
        .withNotBefore(rec -> Instant.ofEpochMilli(rec.offset() == 1 ? dueMillis[0] : 0)),
        r -> ran.add(r.offset()));
    dueMillis[0] = loop.ticker.currentTimeMillis() + 60_000; // record 1 is due in a minute
    loop.assign(P0);
    loop.add(P0, 0, "a", "b", "c");
    loop.loop.turn();
    assertThat(loop.turnUntil(() -> ran.contains(0L))).isTrue();
    assertThat(ran).containsExactly(0L);
    assertThat(loop.consumer.position(P0)).as("rewound to the record not due").isEqualTo(1);
    loop.loop.turn();
    assertThat(loop.consumer.paused()).containsExactly(P0);

    loop.ticker.advance(Duration.ofSeconds(59));
    loop.loop.turn();
    assertThat(loop.consumer.paused()).as("59 s later: still not due").containsExactly(P0);

    loop.ticker.advance(Duration.ofSeconds(1));
    loop.loop.turn();
    assertThat(loop.consumer.paused()).as("due: fetching again").isEmpty();
    loop.add(P0, 1, "b", "c"); // what the broker would return from the rewound position
    assertThat(loop.turnUntil(() -> ran.size() == 3)).isTrue();
    assertThat(ran).containsExactlyInAnyOrder(0L, 1L, 2L);
  }
}
