package io.sagaflow.processor.internal;

import static io.sagaflow.processor.internal.LoopHarness.tp;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Our pauses and the user's, on a MockConsumer: neither lifts the other. */
class PausesTest {
  private static final TopicPartition P0 = tp(0);
  private static final TopicPartition P1 = tp(1);
  private static final int MAX_IN_FLIGHT = 10;
  private static final long MAX_BYTES = 1_000;
  private static final int PER_PARTITION = 4;

  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final Assignment assignment = new Assignment(new AtomicLong(), new AtomicLong());
  private final Pauses pauses = new Pauses(consumer, assignment, MAX_IN_FLIGHT, MAX_BYTES, PER_PARTITION);
  private PartitionState s0;
  private PartitionState s1;
  private long now = 1_000_000_000L;

  @BeforeEach
  void assign() {
    consumer.assign(List.of(P0, P1));
    s0 = assignment.put(P0, null);
    s1 = assignment.put(P1, null);
  }

  private void update() {
    pauses.update(now, 0, 0, 0, 0, false, false);
  }

  @Test
  void aUserResumeDoesNotLiftOurPause() {
    s0.outstanding = PER_PARTITION; // our reason: the per-partition limit
    update();
    assertThat(consumer.paused()).containsExactly(P0);

    pauses.user(Set.of(P0), false); // resuming what the user never paused changes nothing
    update();
    assertThat(consumer.paused()).containsExactly(P0);

    s0.outstanding = PER_PARTITION - 1;
    update();
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void liftingOurPauseKeepsTheUsersPause() {
    pauses.user(Set.of(P0), true);
    s0.backlog = List.of(); // our reason: records waiting
    update();
    assertThat(consumer.paused()).containsExactly(P0);
    assertThat(pauses.userPausedCopy()).containsExactly(P0);

    s0.backlog = null;
    update();
    assertThat(consumer.paused()).as("still the user's").containsExactly(P0);

    pauses.user(Set.of(P0), false);
    update();
    assertThat(consumer.paused()).isEmpty();
    assertThat(pauses.userPausedCopy()).isEmpty();
  }

  @Test
  void aUserPauseOfAPartitionNotAssignedHereIsKeptForLater() {
    TopicPartition other = tp(7);
    pauses.user(Set.of(other), true);
    update();
    assertThat(consumer.paused()).isEmpty();
    assertThat(pauses.userPaused(other)).isTrue();
  }

  @Test
  void fullPausesEveryPartitionOnlyOnceTheBacklogsReachTheLimitsToo() {
    s0.backlog = List.of();
    pauses.update(now, MAX_IN_FLIGHT, 0, 3, 0, false, false);
    assertThat(pauses.backpressured()).isTrue();
    // Partition 1 has no backlog: it keeps fetching into one, to get its share of what frees up.
    assertThat(consumer.paused()).containsExactly(P0);
    assertThat(pauses.allPaused(false)).isFalse();

    pauses.update(now, MAX_IN_FLIGHT, 0, MAX_IN_FLIGHT, 0, false, false);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(P0, P1);
    assertThat(pauses.allPaused(false)).isTrue();

    s0.backlog = null;
    pauses.update(now, MAX_IN_FLIGHT - 1, 0, 0, 0, false, false);
    assertThat(pauses.backpressured()).isFalse();
    assertThat(consumer.paused()).as("no hysteresis: resumed as soon as there is room").isEmpty();
  }

  @Test
  void theBytesLimitAndNoDemandAndClosingPauseToo() {
    pauses.update(now, 0, MAX_BYTES, 0, MAX_BYTES, false, false);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(P0, P1);
    pauses.update(now, 0, 0, 0, 0, true, false);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(P0, P1);
    pauses.update(now, 0, 0, 0, 0, false, true);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(P0, P1);
    assertThat(pauses.allPaused(true)).as("a closing loop does not park").isFalse();
    update();
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void theMetadataCapPausesItsPartitionUntilTheGapCloses() {
    s1.overCap = true;
    update();
    assertThat(consumer.paused()).containsExactly(P1);
    s1.overCap = false;
    update();
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void aNotBeforeDelayEndsWhenTheClockReachesIt() {
    s0.notBeforeUntilNanos = now + 5_000;
    update();
    assertThat(consumer.paused()).containsExactly(P0);
    now += 4_999;
    update();
    assertThat(consumer.paused()).containsExactly(P0);
    now += 1;
    update();
    assertThat(consumer.paused()).isEmpty();
    assertThat(s0.notBeforeUntilNanos).isZero();
  }
}
