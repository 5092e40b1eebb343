package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.ReplyPosition;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * The {@link ActionSource} of a durable engine: the runtime's reply router, plus what makes a reply
 * survive a crash of the saga's owner.
 *
 * <p>Design. Replies are not co-partitioned with the journal (the npm package writes them without
 * a key), so the journal records <em>where the reply topics stood</em>: before a run subscribes,
 * the end offsets (last stable offsets) of the topics' partitions are journaled as
 * {@link ReplyPosition}s (the first per partition is kept). A subscription of a run rebuilt from
 * its journal catches up:
 *
 * <ol>
 *   <li>it subscribes to the router with a gate that holds live records back;
 *   <li>it reads the end offsets E, then reads the topics itself from the journaled positions to E
 *       (read_committed), keeps the actions of its transaction, and delivers those that no
 *       journaled take returned already ({@link JournalWriter#consumedAlready});
 *   <li>it opens the gate: held and later live records at or above E are delivered, those below E
 *       (already read) dropped.
 * </ol>
 *
 * A new (not rebuilt) subscription journals end offsets read <em>earlier</em>, shared by every
 * subscription of the consumer and refreshed in the background once they are
 * {@link #SNAPSHOT_REFRESH} old ({@link #positionsBefore}): an offset read before a subscription is
 * a lower bound of every record produced after it, so it is as correct as a fresh read, costs no
 * broker round trip per saga (thousands of sagas start per second), and makes a catch-up read at
 * most about {@link #SNAPSHOT_REFRESH} more than needed. Only the first subscription to a topic
 * waits for a read; subscriptions arriving meanwhile share it, which is still a lower bound of the
 * replies to their puts (those are published after the subscription returns).
 *
 * <p>A partition without a journaled position (the run's last batch did not commit it) is read from
 * the time of the run's last journaled effect less {@link #CLOCK_MARGIN}: a reply is produced
 * after the effect that asked for it.
 */
final class DurableReplies implements ActionSource {
  /** How far before the last journaled effect a catch-up without a position starts reading. */
  static final Duration CLOCK_MARGIN = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** How old a shared end-offset snapshot may get before a background read refreshes it. */
  static final Duration SNAPSHOT_REFRESH = Duration.ofSeconds(1);
  /**
   * Resumed runs catching up at once: each opens a consumer of its own, and an owner that resumes
   * hundreds of sagas at once would otherwise open hundreds of connections together.
   */
  private static final int CONCURRENT_CATCH_UPS = 8;

  private final java.util.concurrent.Semaphore catchUps = new java.util.concurrent.Semaphore(CONCURRENT_CATCH_UPS, true);
  /** How long one attempt to read offsets may take before it is tried again. */
  private final Duration attemptTimeout;

  private final KafkaReplyRouter router;
  private final JournalWriter writer;
  private final Admin admin;
  private final ClusterOptions cluster;
  private final Map<String, Object> consumerConfig;
  private final ActionCodec codec;
  /** The partitions of the reply topics seen so far (a take asks for their end offsets each time). */
  private final Map<String, List<TopicPartition>> partitions = new java.util.concurrent.ConcurrentHashMap<>();

  DurableReplies(KafkaReplyRouter router, JournalWriter writer, Admin admin, ClusterOptions cluster,
      Map<String, Object> kafkaProperties, ActionCodec codec) {
    this(router, writer, admin, cluster, kafkaProperties, codec, TIMEOUT);
  }

  DurableReplies(KafkaReplyRouter router, JournalWriter writer, Admin admin, ClusterOptions cluster,
      Map<String, Object> kafkaProperties, ActionCodec codec, Duration attemptTimeout) {
    this.attemptTimeout = attemptTimeout;
    this.router = router;
    this.writer = writer;
    this.admin = admin;
    this.cluster = cluster;
    this.codec = codec;
    Map<String, Object> config = new HashMap<>(KafkaClients.known(kafkaProperties, ConsumerConfig.configNames()));
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
    config.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
    config.remove(ConsumerConfig.CLIENT_ID_CONFIG);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumerConfig = config;
  }

  @Override
  public Subscription subscribe(String transactionId, Set<String> topics, Consumer<Action<?>> sink) {
    JournalWriter.ReplyState state = writer.replyState(transactionId);
    if (state == null) {
      throw new SagaCancelledException("the saga of transaction " + transactionId + " is no longer resident here");
    }
    if (!state.restored()) {
      writer.replyPositions(transactionId, "take", positionsBefore(topics));
      return router.subscribe(transactionId, topics, sink);
    }
    Gate gate = new Gate(sink);
    Subscription live = router.subscribeRecords(transactionId, topics, gate::offer);
    try {
      catchUps.acquire();
    } catch (InterruptedException e) {
      live.close();
      Thread.currentThread().interrupt();
      throw new SagaCancelledException("cancelled while waiting to catch up with the replies of " + transactionId);
    }
    try {
      Map<TopicPartition, Long> ends = endOffsets(topics);
      Map<TopicPartition, Long> from = startPositions(state.journal(), ends);
      writer.replyPositions(transactionId, "take", from);
      for (Action<?> action : read(transactionId, from, ends)) {
        if (!writer.consumedAlready(transactionId, action)) {
          sink.accept(action);
        }
      }
      gate.open(ends);
      return live;
    } catch (RuntimeException e) {
      live.close();
      throw e;
    } finally {
      catchUps.release();
    }
  }

  /** Holds live records back until the catch-up has delivered what precedes them. */
  private static final class Gate {
    private final Consumer<Action<?>> sink;
    private final List<Map.Entry<ConsumerRecord<byte[], byte[]>, Action<?>>> held = new ArrayList<>();
    private Map<TopicPartition, Long> floor;

    Gate(Consumer<Action<?>> sink) {
      this.sink = sink;
    }

    synchronized void offer(ConsumerRecord<byte[], byte[]> record, Action<?> action) {
      if (floor == null) {
        held.add(Map.entry(record, action));
      } else if (above(record)) {
        sink.accept(action);
      }
    }

    synchronized void open(Map<TopicPartition, Long> ends) {
      floor = ends;
      held.stream().filter(e -> above(e.getKey())).forEach(e -> sink.accept(e.getValue()));
      held.clear();
    }

    private boolean above(ConsumerRecord<byte[], byte[]> record) {
      return record.offset() >= floor.getOrDefault(new TopicPartition(record.topic(), record.partition()), 0L);
    }
  }

  private Map<TopicPartition, Long> startPositions(SagaJournal journal, Map<TopicPartition, Long> ends) {
    Map<TopicPartition, Long> from = new HashMap<>();
    List<TopicPartition> unknown = new ArrayList<>();
    for (TopicPartition tp : ends.keySet()) {
      Long journaled = null;
      for (ReplyPosition p : journal.replyPositions()) {
        if (p.topic().equals(tp.topic()) && p.partition() == tp.partition()) {
          journaled = p.offset();
        }
      }
      if (journaled != null) {
        from.put(tp, journaled);
      } else {
        unknown.add(tp);
      }
    }
    if (!unknown.isEmpty()) {
      Instant last = journal.startedAt();
      for (JournalEntry e : journal.entries()) {
        last = e.at().isAfter(last) ? e.at() : last;
      }
      long since = last.minus(CLOCK_MARGIN).toEpochMilli();
      Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
      unknown.forEach(tp -> specs.put(tp, OffsetSpec.forTimestamp(since)));
      listOffsets(specs).forEach((tp, offset) -> from.put(tp, offset < 0 ? ends.get(tp) : offset));
    }
    return from;
  }

  /**
   * The actions of {@code transactionId} in [{@code from}, {@code to}) of each partition, in order
   * per partition; read on a platform thread (a Kafka client's I/O on a virtual thread would start
   * the JDK's poller threads for good).
   */
  private List<Action<?>> read(String transactionId, Map<TopicPartition, Long> from, Map<TopicPartition, Long> to) {
    java.util.concurrent.CompletableFuture<List<Action<?>>> result = new java.util.concurrent.CompletableFuture<>();
    Thread reader = Thread.ofPlatform().daemon().name("sagaflow-reply-catch-up").start(() -> {
      try {
        result.complete(readHere(transactionId, from, to));
      } catch (RuntimeException | Error e) {
        result.completeExceptionally(e);
      }
    });
    try {
      return result.get();
    } catch (InterruptedException e) {
      reader.interrupt();
      Thread.currentThread().interrupt();
      throw new SagaCancelledException("cancelled while catching up with replies of " + transactionId);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  private List<Action<?>> readHere(String transactionId, Map<TopicPartition, Long> from,
      Map<TopicPartition, Long> to) {
    List<Action<?>> found = new ArrayList<>();
    scan(from, to, "the replies of transaction " + transactionId, (record, action) -> {
      if (action.transactionId().equals(transactionId)) {
        found.add(action);
      }
    });
    return found;
  }

  /**
   * Reads [{@code from}, {@code to}) of each partition (read_committed) and hands every saga action
   * there, with its record, to {@code visitor}, in order per partition; records that are not saga
   * actions are skipped, as the live router skips them. Runs on the calling thread, which must be a
   * platform thread; an interrupt ends it with a {@link SagaCancelledException}. A slow cluster is
   * waited for (a WARN every {@link #TIMEOUT}).
   */
  void scan(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to, String what,
      BiConsumer<ConsumerRecord<byte[], byte[]>, Action<?>> visitor) {
    Map<TopicPartition, Long> todo = new HashMap<>();
    from.forEach((tp, offset) -> {
      if (offset < to.getOrDefault(tp, 0L)) {
        todo.put(tp, offset);
      }
    });
    if (todo.isEmpty()) {
      return;
    }
    boolean cancelled = false;
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(cluster, "saga-reply-catch-up",
        consumerConfig)) {
      consumer.assign(todo.keySet());
      todo.forEach(consumer::seek);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      try {
        while (!(cancelled = Thread.interrupted())
            && todo.keySet().stream().anyMatch(tp -> consumer.position(tp) < to.get(tp))) {
          if (System.nanoTime() > deadline) {
            slow("catching up with " + what + " on " + todo.keySet() + " takes over " + TIMEOUT
                + "; is the cluster reachable? The saga waits");
            deadline = System.nanoTime() + TIMEOUT.toNanos();
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            if (r.offset() >= to.get(new TopicPartition(r.topic(), r.partition()))) {
              continue;
            }
            Action<?> action;
            try {
              action = codec.decode(r);
            } catch (ActionDecodingException e) {
              continue; // not a saga action: the live router skips it too
            }
            visitor.accept(r, action);
          }
        }
      } catch (org.apache.kafka.common.errors.InterruptException e) {
        Thread.interrupted(); // the consumer closes below; the interrupt is restored after
        cancelled = true;
      }
    }
    if (cancelled) {
      Thread.currentThread().interrupt();
      throw new SagaCancelledException("cancelled while catching up with " + what);
    }
  }

  /** End offsets per topic read earlier, with when their read started ({@link #positionsBefore}). */
  private record Snapshot(long readStartedNanos, java.util.concurrent.CompletableFuture<Map<TopicPartition, Long>> offsets) {}

  private final Map<String, Snapshot> snapshots = new java.util.concurrent.ConcurrentHashMap<>();
  private final Set<String> refreshing = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Lower bounds of the offsets of records produced after this call, per partition of {@code topics}. */
  private Map<TopicPartition, Long> positionsBefore(Set<String> topics) {
    Map<TopicPartition, Long> out = new HashMap<>();
    for (String topic : topics) {
      out.putAll(snapshot(topic));
    }
    return out;
  }

  private Map<TopicPartition, Long> snapshot(String topic) {
    Snapshot current = snapshots.get(topic);
    if (current != null && current.offsets().isDone() && !current.offsets().isCompletedExceptionally()) {
      if (System.nanoTime() - current.readStartedNanos() > SNAPSHOT_REFRESH.toNanos() && refreshing.add(topic)) {
        Thread.ofVirtual().name("sagaflow-reply-offsets").start(() -> {
          try {
            long started = System.nanoTime();
            Map<TopicPartition, Long> fresh = endOffsets(Set.of(topic));
            snapshots.put(topic, new Snapshot(started, java.util.concurrent.CompletableFuture.completedFuture(fresh)));
          } catch (RuntimeException e) {
            // The older snapshot stays a valid lower bound; the next subscription tries again.
          } finally {
            refreshing.remove(topic);
          }
        });
      }
      return current.offsets().join();
    }
    Snapshot mine = new Snapshot(System.nanoTime(), new java.util.concurrent.CompletableFuture<>());
    boolean owner = current == null ? snapshots.putIfAbsent(topic, mine) == null
        : current.offsets().isDone() && snapshots.replace(topic, current, mine);
    if (owner) {
      try {
        Map<TopicPartition, Long> read = endOffsets(Set.of(topic));
        mine.offsets().complete(read);
        if (read.isEmpty()) {
          snapshots.remove(topic, mine); // a missing topic: read again once it exists
        }
      } catch (RuntimeException e) {
        mine.offsets().completeExceptionally(e);
        throw e;
      }
      return mine.offsets().join();
    }
    Snapshot shared = snapshots.get(topic);
    try {
      return (shared != null ? shared : mine).offsets().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SagaCancelledException("cancelled while reading the end offsets of " + topic);
    } catch (TimeoutException e) {
      throw new IllegalStateException("reading the end offsets of " + topic + " did not finish within " + TIMEOUT, e);
    }
  }

  /** The end (last stable) offsets of every partition of {@code topics}. */
  Map<TopicPartition, Long> endOffsets(Set<String> topics) {
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    try {
      List<String> unknown = topics.stream().filter(t -> !partitions.containsKey(t)).toList();
      if (!unknown.isEmpty()) {
        admin.describeTopics(unknown).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).values()
            .forEach(d -> partitions.put(d.name(), d.partitions().stream()
                .map(p -> new TopicPartition(d.name(), p.partition())).toList()));
      }
      topics.forEach(t -> partitions.get(t).forEach(tp -> specs.put(tp, OffsetSpec.latest())));
    } catch (ExecutionException e) {
      return Map.of(); // a missing topic: the router's subscribe says what is wrong
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SagaCancelledException("cancelled while reading the end offsets of " + topics);
    } catch (TimeoutException e) {
      slow("describing " + topics + " did not finish within " + TIMEOUT + "; trying again");
      if (Thread.currentThread().isInterrupted()) {
        throw new SagaCancelledException("cancelled while reading the end offsets of " + topics);
      }
      return endOffsets(topics);
    }
    return listOffsets(specs);
  }

  /**
   * The offsets of {@code specs}, read_committed. A timeout or a retriable error is tried again
   * (each attempt bounded by {@link #attemptTimeout}) until it succeeds or the run is cancelled: a
   * slow or briefly unreachable cluster must make a saga wait, never fail it to the dead-letter
   * topic (chaos sagas found 643 of 2,000 sagas dead-lettered by "did not finish within PT30S" when
   * a restarted owner resumed hundreds of them at once on a loaded machine).
   */
  Map<TopicPartition, Long> listOffsets(Map<TopicPartition, OffsetSpec> specs) {
    while (true) {
      Map<TopicPartition, Long> out = new HashMap<>();
      try {
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin
            .listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
            .get(attemptTimeout.toMillis(), TimeUnit.MILLISECONDS);
        result.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
          throw new IllegalStateException("cannot read the offsets of " + specs.keySet() + ": " + e.getCause(),
              e.getCause());
        }
        slow("reading the offsets of " + specs.keySet() + " failed, trying again: " + e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SagaCancelledException("cancelled while reading the offsets of " + specs.keySet());
      } catch (TimeoutException e) {
        slow("reading the offsets of " + specs.keySet() + " did not finish within " + attemptTimeout
            + "; trying again");
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new SagaCancelledException("cancelled while reading the offsets of " + specs.keySet());
      }
    }
  }

  private long lastSlowLog;

  /** At most one WARN per 10 s: the cluster is slow; the sagas wait. */
  private synchronized void slow(String message) {
    long now = System.nanoTime();
    if (lastSlowLog == 0 || now - lastSlowLog > TimeUnit.SECONDS.toNanos(10)) {
      lastSlowLog = now;
      org.slf4j.LoggerFactory.getLogger(DurableReplies.class).warn("durable saga replies: {}", message);
    }
  }
}
