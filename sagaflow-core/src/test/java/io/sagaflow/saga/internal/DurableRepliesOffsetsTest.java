package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.SagaCancelledException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.Test;

/**
 * Regression test for what {@code chaos sagas} found: a restarted owner resuming hundreds of sagas
 * at once on a loaded machine saw reading the reply topics' offsets take over 30 s, and each such
 * saga failed to the dead-letter topic. A slow or retriable offsets read must make the saga wait
 * and try again; only a non-retriable error fails it. No broker: an {@link Admin} whose
 * {@code listOffsets} answers are scripted.
 */
class DurableRepliesOffsetsTest {
  private static final TopicPartition TP = new TopicPartition("REPLY", 0);

  /** Each call to listOffsets takes the next scripted answer (completing the future, or not). */
  private static Admin admin(Deque<Consumer<KafkaFutureImpl<ListOffsetsResult.ListOffsetsResultInfo>>> answers,
      AtomicInteger calls) {
    return (Admin) Proxy.newProxyInstance(Admin.class.getClassLoader(), new Class<?>[] {Admin.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "listOffsets" -> {
            calls.incrementAndGet();
            KafkaFutureImpl<ListOffsetsResult.ListOffsetsResultInfo> f = new KafkaFutureImpl<>();
            answers.removeFirst().accept(f);
            Map<TopicPartition, KafkaFuture<ListOffsetsResult.ListOffsetsResultInfo>> futures = Map.of(TP, f);
            yield new ListOffsetsResult(futures);
          }
          case "close" -> null;
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          case "toString" -> "scripted admin";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  private static DurableReplies replies(Admin admin) {
    return new DurableReplies(null, null, admin, null, Map.of(), ActionCodec.create(), Duration.ofMillis(200));
  }

  private static Consumer<KafkaFutureImpl<ListOffsetsResult.ListOffsetsResultInfo>> offset(long offset) {
    return f -> f.complete(new ListOffsetsResult.ListOffsetsResultInfo(offset, -1, Optional.empty()));
  }

  @Test
  void anOffsetsReadThatTimesOutIsTriedAgainInsteadOfFailingTheSaga() {
    AtomicInteger calls = new AtomicInteger();
    Deque<Consumer<KafkaFutureImpl<ListOffsetsResult.ListOffsetsResultInfo>>> answers = new ArrayDeque<>(List.of(
        f -> { }, // never answers: the attempt times out
        f -> f.completeExceptionally(new LeaderNotAvailableException("electing")),
        offset(42)));
    Map<TopicPartition, Long> read = replies(admin(answers, calls)).listOffsets(Map.of(TP, OffsetSpec.latest()));
    assertThat(read).containsExactly(Map.entry(TP, 42L));
    assertThat(calls).hasValue(3);
  }

  @Test
  void aNonRetriableErrorStillFails() {
    AtomicInteger calls = new AtomicInteger();
    Deque<Consumer<KafkaFutureImpl<ListOffsetsResult.ListOffsetsResultInfo>>> answers = new ArrayDeque<>(List.of(
        f -> f.completeExceptionally(new TopicAuthorizationException("not allowed"))));
    DurableReplies replies = replies(admin(answers, calls));
    assertThatThrownBy(() -> replies.listOffsets(Map.of(TP, OffsetSpec.latest())))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("REPLY-0").hasMessageContaining("not allowed");
    assertThat(calls).hasValue(1);
  }

  @Test
  void aCancelledSagaStopsTryingAgain() {
    AtomicInteger calls = new AtomicInteger();
    Deque<Consumer<KafkaFutureImpl<ListOffsetsResult.ListOffsetsResultInfo>>> answers = new ArrayDeque<>(List.of(
        f -> Thread.currentThread().interrupt(), // the run is cancelled while its read hangs
        offset(7)));
    DurableReplies replies = replies(admin(answers, calls));
    try {
      assertThatThrownBy(() -> replies.listOffsets(Map.of(TP, OffsetSpec.latest())))
          .isInstanceOf(SagaCancelledException.class);
    } finally {
      Thread.interrupted();
    }
    assertThat(calls).hasValue(1);
  }
}
