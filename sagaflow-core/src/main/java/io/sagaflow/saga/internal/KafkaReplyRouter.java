package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.SagaMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared reply consumer of a saga runtime.
 *
 * <p>Design: one platform thread owns one {@link KafkaConsumer} without a group. Other threads send
 * it commands through a queue (and {@code wakeup()} it out of {@code poll}). The first subscription
 * to a topic makes the thread {@code assign} all its partitions, {@code seekToEnd} them and call
 * {@code position()} on each, which resolves the end offsets synchronously; only then does
 * {@link #subscribe} return. A subscription is registered before that, so every record produced
 * after {@code subscribe} returns has an offset at or above the position and is dispatched to it.
 * Records are decoded and dispatched by transaction id to the subscriptions of that transaction on
 * that topic; sinks never block (channels buffer without waiting).
 *
 * <p>Records that are not saga actions are logged and skipped: the router reads other services'
 * topics, whose own consumers own their recovery.
 *
 * <p>Partitions added to a followed topic later are followed from their beginning (everything in
 * them is newer than the subscriptions): the thread looks for them every {@code metadata.max.age.ms}
 * (at most every 30 s), as often as the consumer refreshes its metadata.
 */
public final class KafkaReplyRouter implements ActionSource {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaReplyRouter.class);

  private final ClusterOptions cluster;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ActionCodec codec;
  private final Duration followTimeout;
  private final TopicAdministrator topicAdmin;
  private final SagaMetrics metrics;
  private final Thread thread;
  private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
  private final Map<String, CompletableFuture<Void>> followed = new ConcurrentHashMap<>();
  private final Map<String, List<Sub>> subscriptions = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final long refreshNanos;
  private long nextRefreshNanos;

  private final class Sub implements Subscription {
    final String transactionId;
    final Set<String> topics;
    final BiConsumer<ConsumerRecord<byte[], byte[]>, Action<?>> sink;

    Sub(String transactionId, Set<String> topics, BiConsumer<ConsumerRecord<byte[], byte[]>, Action<?>> sink) {
      this.transactionId = transactionId;
      this.topics = Set.copyOf(topics);
      this.sink = sink;
    }

    @Override
    public void close() {
      subscriptions.computeIfPresent(transactionId, (k, list) -> {
        list.remove(this);
        return list.isEmpty() ? null : list;
      });
    }
  }

  /**
   * A router; starts its thread.
   *
   * @param cluster where to connect
   * @param properties raw client properties of the runtime; group id, auto commit and
   *     deserializers are managed here
   * @param codec the wire codec
   * @param followTimeout how long {@link #subscribe} waits for a topic to be positioned
   * @param topics creates a missing topic before it is followed, or {@code null} (then following a
   *     missing topic fails)
   */
  public KafkaReplyRouter(ClusterOptions cluster, Map<String, Object> properties, ActionCodec codec,
      Duration followTimeout, TopicAdministrator topics) {
    this(cluster, properties, codec, followTimeout, topics, SagaMetrics.none());
  }

  /** A router that reports each hand-over's lag ({@link SagaMetrics#replyRouted}) to {@code metrics}. */
  public KafkaReplyRouter(ClusterOptions cluster, Map<String, Object> properties, ActionCodec codec,
      Duration followTimeout, TopicAdministrator topics, SagaMetrics metrics) {
    this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
    this.cluster = cluster;
    this.topicAdmin = topics;
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // Following a topic must not create it by accident (a typo would wait forever for replies).
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    config.putAll(KafkaClients.known(properties, ConsumerConfig.configNames()));
    Object clientId = properties.get(ConsumerConfig.CLIENT_ID_CONFIG);
    if (clientId != null) {
      config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-replies");
    }
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
    config.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer = KafkaClients.consumer(cluster, "saga-replies", config);
    Object maxAge = config.get(ConsumerConfig.METADATA_MAX_AGE_CONFIG);
    long refreshMillis = maxAge == null ? 30_000 : Math.min(30_000, Long.parseLong(maxAge.toString()));
    this.refreshNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(100, refreshMillis));
    this.nextRefreshNanos = System.nanoTime() + refreshNanos;
    this.codec = codec;
    this.followTimeout = followTimeout;
    this.thread = Thread.ofPlatform().name("sagaflow-reply-router").daemon().unstarted(this::loop);
    thread.start();
  }

  @Override
  public Subscription subscribe(String transactionId, Set<String> topics, Consumer<Action<?>> sink) {
    return subscribeRecords(transactionId, topics, (record, action) -> sink.accept(action));
  }

  /**
   * {@link #subscribe} with each action's record (for its partition and offset): a durable saga's
   * reply catch-up drops live records below the offsets it has read itself.
   */
  public Subscription subscribeRecords(String transactionId, Set<String> topics,
      BiConsumer<ConsumerRecord<byte[], byte[]>, Action<?>> sink) {
    if (closed) {
      throw new IllegalStateException("the saga runtime's reply consumer is closed");
    }
    Sub sub = new Sub(transactionId, topics, sink);
    // Added inside compute so that a concurrent close of the last subscription cannot orphan it.
    subscriptions.compute(transactionId, (k, list) -> {
      List<Sub> subs = list == null ? new CopyOnWriteArrayList<>() : list;
      subs.add(sub);
      return subs;
    });
    try {
      for (String topic : topics) {
        if (topicAdmin != null && !followed.containsKey(topic)) {
          topicAdmin.ensureTopics(topic); // on the caller's thread: creation blocks
        }
        awaitFollowed(topic);
      }
    } catch (RuntimeException e) {
      sub.close();
      throw e;
    }
    return sub;
  }

  /** The topics followed so far (positioned or in progress). */
  public Set<String> followedTopics() {
    return Set.copyOf(followed.keySet());
  }

  private void awaitFollowed(String topic) {
    CompletableFuture<Void> f = followed.computeIfAbsent(topic, t -> {
      CompletableFuture<Void> positioned = new CompletableFuture<>();
      commands.add(() -> follow(t, positioned));
      consumer.wakeup();
      return positioned;
    });
    try {
      f.get(followTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new io.sagaflow.saga.SagaCancelledException("cancelled while following topic " + topic);
    } catch (ExecutionException e) {
      followed.remove(topic, f);
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the reply consumer did not position on topic " + topic + " within "
          + followTimeout + "; is the broker reachable?", e);
    }
  }

  private void follow(String topic, CompletableFuture<Void> positioned) {
    try {
      List<PartitionInfo> infos = retryOnWakeup(() -> consumer.partitionsFor(topic, followTimeout));
      if (infos == null || infos.isEmpty()) {
        positioned.completeExceptionally(new IllegalStateException("topic " + topic
            + " does not exist; create it before a saga takes from it, or give the runtime a topic administrator"
            + " (SagaOptions.withTopicAdministrator) to create it"));
        return;
      }
      List<TopicPartition> added = new ArrayList<>();
      for (PartitionInfo p : infos) {
        added.add(new TopicPartition(topic, p.partition()));
      }
      assignAlso(added);
      consumer.seekToEnd(added);
      for (TopicPartition tp : added) {
        // position() resolves the lazy seekToEnd now, so the caller's guarantee holds on return.
        retryOnWakeup(() -> consumer.position(tp, followTimeout));
      }
      positioned.complete(null);
    } catch (RuntimeException e) {
      positioned.completeExceptionally(ConnectionFailures.explain(cluster, e)
          .orElseGet(() -> new IllegalStateException("cannot follow topic " + topic + ": " + e, e)));
    }
  }

  /** Assigns partitions added to followed topics since, from their beginning. */
  private void followNewPartitions() {
    Set<TopicPartition> assigned = consumer.assignment();
    List<TopicPartition> added = new ArrayList<>();
    for (Map.Entry<String, CompletableFuture<Void>> e : followed.entrySet()) {
      if (!e.getValue().isDone() || e.getValue().isCompletedExceptionally()) {
        continue;
      }
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(e.getKey(), followTimeout);
      } catch (WakeupException x) {
        throw x;
      } catch (RuntimeException x) {
        LOG.debug("cannot look for new partitions of {}: {}", e.getKey(), x.toString());
        continue;
      }
      for (PartitionInfo p : infos == null ? List.<PartitionInfo>of() : infos) {
        TopicPartition tp = new TopicPartition(p.topic(), p.partition());
        if (!assigned.contains(tp)) {
          added.add(tp);
        }
      }
    }
    if (!added.isEmpty()) {
      assignAlso(added);
      consumer.seekToBeginning(added);
      LOG.info("saga replies: following new partitions {}", added);
    }
  }

  private void assignAlso(List<TopicPartition> added) {
    Set<TopicPartition> all = new HashSet<>(consumer.assignment());
    all.addAll(added);
    consumer.assign(all);
  }

  private static <T> T retryOnWakeup(java.util.function.Supplier<T> call) {
    while (true) {
      try {
        return call.get();
      } catch (WakeupException e) {
        // A command arrived meanwhile; we are already running commands, so just go on.
      }
    }
  }

  private void loop() {
    try {
      while (!closed) {
        turn();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("the saga reply consumer failed; takes will wait until the runtime is closed: {}",
          ConnectionFailures.explain(cluster, e).map(Throwable::getMessage).orElse(e.toString()), e);
    } finally {
      closed = true;
      IllegalStateException gone = new IllegalStateException("the saga runtime's reply consumer is closed");
      followed.values().forEach(f -> f.completeExceptionally(gone));
      commands.clear();
      try {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
      } catch (RuntimeException e) {
        LOG.warn("closing the saga reply consumer failed", e);
      }
    }
  }

  /**
   * One turn of the loop: commands, then a poll. A method of its own so that the JIT compiles it as
   * a method rather than the whole loop on-stack (a large OSR compilation, redone after every
   * deoptimization).
   */
  private void turn() throws InterruptedException {
    Runnable command;
    while ((command = commands.poll()) != null) {
      command.run();
    }
    if (consumer.assignment().isEmpty()) {
      command = commands.poll(100, TimeUnit.MILLISECONDS);
      if (command != null) {
        command.run();
      }
      return;
    }
    try {
      if (System.nanoTime() - nextRefreshNanos >= 0) {
        followNewPartitions();
        nextRefreshNanos = System.nanoTime() + refreshNanos;
      }
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
        dispatch(record);
      }
    } catch (WakeupException e) {
      // Commands or close: handled at the top of the loop.
    }
  }

  private void dispatch(ConsumerRecord<byte[], byte[]> record) {
    List<Sub> subs;
    Action<JsonNode> action;
    try {
      action = codec.decode(record);
    } catch (ActionDecodingException e) {
      LOG.warn("skipping a record that is not a saga action: {}", e.getMessage());
      return;
    }
    subs = subscriptions.get(action.transactionId());
    if (subs == null) {
      return;
    }
    long lagMillis = System.currentTimeMillis() - record.timestamp(); // producer or broker time: clocks may differ
    metrics.replyRouted(record.topic(), lagMillis);
    for (Sub sub : subs) {
      if (sub.topics.contains(record.topic())) {
        try {
          sub.sink.accept(record, action);
        } catch (RuntimeException e) {
          LOG.error("a saga channel rejected an action on {}", record.topic(), e);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
