package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.saga.internal.journal.InputPosition;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalDecodingException;
import io.sagaflow.saga.internal.journal.JournalLimits;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.LoggerFactory;

/**
 * A durable saga consumer: every saga is journaled, survives a crash of its process and resumes on
 * the group's next owner of its input partition.
 *
 * <p>Design. One platform thread owns the group's {@link KafkaConsumer}; a {@link JournalCommitter}
 * owns one transactional {@link KafkaProducer}. The thread polls the input topic; each record
 * starts a run on a virtual thread of an engine whose {@link JournalRecorder} journals into a
 * {@link JournalWriter}, which is also the engine's publisher. When no transaction is in flight
 * (and at most once per commit interval) the thread drains the writer into one transaction:
 * journal values, puts, tombstones, dead letters and the input offsets (with the consumer's group
 * metadata, so a zombie's transaction is fenced). It goes on polling while the committer writes
 * it, and takes the outcome before it drains the next batch. Effects do not wait for the commit:
 * a put becomes visible only when it commits, with the entry that journals it.
 *
 * <ul>
 *   <li><b>Assignment</b>: the journal partition with the input partition's number is read from
 *       its beginning to its last stable offset ({@link JournalReader}); each live run is resumed
 *       ({@link JournalRecorder#resume}) and its code runs again, replaying journaled effects. An
 *       undecodable record or a journal of another version is tombstoned and dead-lettered; a
 *       non-determinism error fails that run alone (dead-lettered). Input records at or past the
 *       committed offset whose run is in the journal (live or ended) are skipped.
 *   <li><b>Revocation</b>: queued writes are committed, then the partition's runs are stopped
 *       without journaling anything. <b>Loss</b>: they are stopped and the queue dropped.
 *   <li><b>A failed transaction</b> (fenced, aborted, the cluster away): every assigned partition
 *       is dropped and rebuilt from the committed journal with a new producer, and the input
 *       rewound to the committed offsets; while that fails too, the input stays paused and the
 *       rebuild is tried again, backing off from 1 s to 30 s.
 *   <li><b>Status</b>: DISCONNECTED when no broker has answered for the connection timeout
 *       (a {@code ConnectionWatch}, as in a Processor).
 *   <li><b>One run per transaction id</b>: a record whose transaction already has a resident run
 *       waits for it (its offset, and the ones after, stay uncommitted meanwhile).
 *   <li><b>Backpressure</b>: fetching pauses while {@code maxWaitingSagas} runs are resident or
 *       evicted.
 *   <li><b>Eviction</b> ({@code evictIdleAfter}): a run idle that long leaves memory as its journal
 *       and is resumed as a restore resumes it when a reply or its deadline comes ({@link Evictions}).
 * </ul>
 */
public final class DurableSagaConsumer<P> implements SagaConsumer {
  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);
  private static final Duration IN_FLIGHT_POLL = Duration.ofMillis(5);

  /** What the runtime lends a durable consumer; {@code observers} measure and trace its runs. */
  public record Environment(List<SagaMiddleware> middleware, ActionSource source, ActionCodec codec, Timer timer,
      int channelCapacity, Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory, Observers observers) {
    /** An environment whose runs nothing observes. */
    public Environment(List<SagaMiddleware> middleware, ActionSource source, ActionCodec codec, Timer timer,
        int channelCapacity, Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory) {
      this(middleware, source, codec, timer, channelCapacity, contextFactory, Observers.NONE);
    }
  }

  private final String topic;
  private final String groupId;
  private final String journalTopic;
  private final String deadLetterTopic;
  private final Class<P> payloadType;
  private final Saga<P> saga;
  private final ActionCodec codec;
  private final Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory;
  private final Duration interval;
  private final int maxResident;
  private final JournalWriter writer;
  private final JournalRecorder recorder;
  private final SagaEngine engine;
  private final Timer timer;
  private final Admin admin;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final JournalReader reader;
  private final JournalCommitter committer;
  private final io.sagaflow.processor.internal.ConnectionWatch connection;
  private final Duration connectionTimeout;
  private final String bootstrapServers;
  private final DurableObservers observers;
  private final Thread thread;
  /** Idle-run eviction, or null when every run stays resident. */
  private final Evictions evictions;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile RuntimeException startFailure;

  /** Resident runs by transaction id (loop thread only). */
  private final Map<String, Live> live = new HashMap<>();
  /** Records waiting for their transaction's resident run to end (loop thread only). */
  private final Map<String, ArrayDeque<ConsumerRecord<byte[], byte[]>>> queued = new HashMap<>();
  /** Run keys of input records to skip: their runs are in the journal (loop thread only). */
  private final Map<Integer, Set<String>> known = new HashMap<>();
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final AtomicLong deadLetters = new AtomicLong();
  private volatile int resident;
  private volatile int evicted;
  private volatile boolean assigned;
  private volatile Set<TopicPartition> assignedPartitions = Set.of();
  private volatile boolean closing;
  private volatile boolean halted;
  private volatile boolean remainInGroup;
  /** Whether the runs are dropped and wait to be rebuilt from the journal (loop thread only). */
  private boolean recovering;
  private Duration recoveryBackoff = Duration.ZERO;
  private long nextRecovery;
  private static final Duration MAX_RECOVERY_BACKOFF = Duration.ofSeconds(30);
  /** The last failed journal transaction, or the error that stopped the loop (for status()). */
  private volatile Throwable lastError;
  /** Whether the last journal transaction failed (cleared by the next one that commits). */
  private volatile boolean commitFailing;
  private volatile boolean stopped;

  private record Live(String runKey, int partition, SagaEngine.SagaRun run, ConsumerRecord<byte[], byte[]> record,
      boolean[] dropped, Evictions.Idle idle) {}

  /**
   * Creates the journal topic if needed and starts the consumer.
   *
   * @throws IllegalStateException when the journal topic exists with another partition count than
   *     the input topic's, or a topic is missing and cannot be created
   */
  public DurableSagaConsumer(ClusterOptions cluster, Map<String, Object> kafkaProperties, String topic,
      Class<P> payloadType, Saga<P> saga, SagaConsumerOptions options, Environment env,
      TopicAdministrator runtimeTopics) {
    this.topic = topic;
    this.groupId = options.groupId();
    this.connectionTimeout = options.connectionTimeout();
    this.connection = new io.sagaflow.processor.internal.ConnectionWatch(connectionTimeout.toNanos(), () -> { });
    this.bootstrapServers = cluster.bootstrapServers();
    this.journalTopic = options.durability().journalTopicFor(groupId);
    this.deadLetterTopic = options.deadLetterTopicFor(topic);
    this.payloadType = payloadType;
    this.saga = saga;
    this.codec = env.codec();
    this.contextFactory = env.contextFactory();
    this.interval = options.durability().commitInterval();
    this.maxResident = options.durability().maxWaitingSagas();
    this.timer = env.timer();
    this.observers = new DurableObservers(env.observers(), topic, groupId, timer);
    if (!(env.source() instanceof KafkaReplyRouter router)) {
      throw new IllegalStateException("a durable saga consumer needs the runtime's Kafka reply consumer (a runtime"
          + " from Sagas.runtime(options)), not " + env.source().getClass().getName());
    }
    this.admin = KafkaClients.admin(cluster, "saga-durable", KafkaClients.known(kafkaProperties,
        KafkaClients.adminKeys()));
    try {
      DurableTopics.ensure(cluster, admin, topic, journalTopic, deadLetterTopic,
          options.topicAdministrator() != null ? options.topicAdministrator() : runtimeTopics);
      this.writer = new JournalWriter(journalTopic, topic, new JournalCodec(codec.mapper()), codec,
          env.observers().tracing());
      this.recorder = new JournalRecorder(writer, codec, JournalLimits.DEFAULT);
      DurableReplies replies = new DurableReplies(router, writer, admin, cluster, kafkaProperties, codec);
      Duration idle = options.durability().evictIdleAfter();
      this.evictions = idle == null ? null
          : new Evictions(idle, writer, recorder, router, timer, commands::add, this::resume);
      this.engine = new SagaEngine(env.middleware(), writer, replies, timer, recorder, codec, env.channelCapacity(),
          evictions != null ? evictions : Activity.NONE, env.observers());
      Map<String, Object> consumerConfig = new HashMap<>(KafkaClients.known(kafkaProperties,
          ConsumerConfig.configNames()));
      consumerConfig.keySet().removeIf(k -> k.endsWith(".deserializer"));
      consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
      consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumerConfig.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      if (options.durability().instanceId() != null) {
        consumerConfig.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, options.durability().instanceId());
      }
      this.consumer = KafkaClients.consumer(cluster, "saga-durable", consumerConfig);
      this.reader = new JournalReader(cluster, kafkaProperties, journalTopic);
      Map<String, Object> producerConfig = new HashMap<>(KafkaClients.known(kafkaProperties,
          ProducerConfig.configNames()));
      producerConfig.keySet().removeIf(k -> k.endsWith(".serializer"));
      // Records go out at once, while sendOffsetsToTransaction waits for the group coordinator.
      producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
      // A busy transaction carries thousands of records (journal states of a few hundred bytes): with
      // the default 16 KB a partition's share leaves in many produce round trips, each waiting for the
      // one before (at most 5 in flight), and the commit waits for the last.
      producerConfig.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
      // A crashed owner's open transaction blocks the journal's last stable offset until it times out.
      producerConfig.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 15_000);
      // While the cluster is away, a rebuild's initTransactions gives up after this, and is tried again.
      producerConfig.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
      this.committer = new JournalCommitter(cluster, groupId + "-saga-journal-", options.durability().instanceId(),
          producerConfig,
          "sagaflow-durable-commit-" + groupId);
    } catch (RuntimeException e) {
      admin.close();
      throw e;
    }
    observers.open(() -> resident, writer);
    this.thread = Thread.ofPlatform().name("sagaflow-durable-" + groupId).unstarted(this::loop);
    thread.start();
    try {
      started.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (startFailure != null) {
      close();
      throw startFailure;
    }
  }

  // ------------------------------------------------------------------ the loop thread

  private void loop() {
    try {
      try {
        connection.opening(System.nanoTime());
        committer.open();
        connection.start(System.nanoTime());
        consumer.subscribe(List.of(topic), new Listener());
      } catch (RuntimeException e) {
        startFailure = new IllegalStateException("the durable saga consumer of " + topic + " cannot start: " + e, e);
        return;
      } finally {
        started.countDown();
      }
      long nextCommit = System.nanoTime() + interval.toNanos();
      while (!closing) {
        try {
          // While a transaction is in flight, poll briefly: its end lets the next batch go.
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(committer.busy() ? IN_FLIGHT_POLL : interval)) {
            if (!recovering) {
              received(r); // while recovering, the rebuild seeks back to the committed offsets
            }
          }
        } catch (WakeupException e) {
          // close
        }
        connection.observe(System.nanoTime(), consumer.metrics());
        Runnable c;
        while ((c = commands.poll()) != null) {
          c.run();
        }
        evictIdle();
        JournalCommitter.Outcome outcome = committer.completed();
        if (outcome != null) {
          committed(outcome);
        }
        recover();
        if (!recovering && !committer.busy() && System.nanoTime() - nextCommit >= 0 && submit()) {
          nextCommit = System.nanoTime() + interval.toNanos();
        }
        backpressure();
      }
    } catch (RuntimeException e) {
      lastError = e;
      LOG.error("the durable saga consumer of {} failed; its sagas resume on the group's next owner", topic, e);
    } finally {
      stopped = true;
      shutdown();
    }
  }

  private void shutdown() {
    try {
      if (!halted) {
        consumer.close(); // revokes: queued writes are committed, runs stopped (Listener)
      } else {
        committer.close(Duration.ZERO);
        dropRuns(new HashSet<>(known.keySet()), false);
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5))
            .withGroupMembershipOperation(remainInGroup
                ? org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
                : org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation.DEFAULT));
      }
    } catch (RuntimeException e) {
      LOG.warn("closing the durable saga consumer of {} failed", topic, e);
    } finally {
      committer.close(halted ? Duration.ZERO : Duration.ofSeconds(10));
      reader.close();
      admin.close();
      observers.close();
    }
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (halted) {
        return;
      }
      commitNow();
      dropRuns(numbers(partitions), true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      dropRuns(numbers(partitions), true);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (!recovering) {
        try {
          for (TopicPartition tp : partitions) {
            restore(tp);
          }
        } catch (RuntimeException e) {
          lastError = e;
          LOG.warn("the durable saga consumer of {} cannot read its journal {} yet: {}", topic, journalTopic,
              e.toString());
          recoverNow(); // retries the whole assignment, backing off
        }
      } // else the rebuild of the recovery restores every assigned partition
      assignedPartitions = Set.copyOf(consumer.assignment());
      assigned = !assignedPartitions.isEmpty();
    }
  }

  private static Set<Integer> numbers(Collection<TopicPartition> partitions) {
    Set<Integer> out = new HashSet<>();
    partitions.forEach(tp -> out.add(tp.partition()));
    return out;
  }

  /** Rebuilds the runs of {@code tp} from the journal. */
  private void restore(TopicPartition tp) {
    long t0 = System.nanoTime();
    long position = consumer.position(tp);
    writer.assigned(tp.partition(), position);
    Set<String> skip = new HashSet<>();
    known.put(tp.partition(), skip);
    JournalReader.Contents contents = reader.read(tp.partition());
    contents.ended().forEach(key -> {
      if (offsetOf(key) >= position) {
        skip.add(key);
      }
    });
    for (Map.Entry<String, byte[]> e : contents.live().entrySet()) {
      skip.add(e.getKey());
      resume(tp.partition(), e.getKey(), e.getValue());
    }
    observers.restored(tp.partition(), System.nanoTime() - t0, contents.live().size());
    LOG.info("durable sagas of {}: {} resumed from {}", tp, contents.live().size(), journalTopic);
  }

  /** Resumes the run journaled as {@code value} under {@code key} (restored, or evicted and woken). */
  private void resume(int partition, String key, byte[] value) {
    SagaJournal journal;
    try {
      journal = recorder.codec().decode(value, journalTopic + "-" + partition + " key " + key);
    } catch (JournalDecodingException x) {
      LOG.warn("saga journal record {} cannot be resumed, dead-lettered: {}", key, x.getMessage());
      writer.discard(partition, key, x.getMessage(), dead(
          DurableTopics.journalRecord(journalTopic, partition, key, value), x));
      deadLetters.incrementAndGet();
      return;
    }
    ConsumerRecord<byte[], byte[]> record = DurableTopics.inputRecord(journal, codec);
    try {
      recorder.resume(journal);
    } catch (IllegalStateException x) {
      writer.discard(partition, key, x.getMessage(), dead(record, x));
      counted(record, x);
      return;
    }
    writer.resume(journal, partition);
    launch(journal.runKey(), partition, journal.action(), record);
  }

  private static long offsetOf(String runKey) {
    int at = runKey.lastIndexOf('@');
    try {
      return at < 0 ? -1 : Long.parseLong(runKey.substring(at + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void received(ConsumerRecord<byte[], byte[]> r) {
    writer.received(r.partition(), r.offset());
    InputPosition in = new InputPosition(r.topic(), r.partition(), r.offset());
    Set<String> skip = known.get(r.partition());
    if (skip != null && skip.remove(in.runKey())) {
      writer.settle(r.partition(), r.offset(), null); // its run is journaled: resumed, or already ended
      return;
    }
    Action<?> action;
    try {
      action = codec.decode(r);
    } catch (ActionDecodingException e) {
      writer.settle(r.partition(), r.offset(), dead(r, e));
      counted(r, e);
      return;
    }
    if (live.containsKey(action.transactionId()) || (evictions != null && evictions.holds(action.transactionId()))) {
      queued.computeIfAbsent(action.transactionId(), k -> new ArrayDeque<>()).add(r);
      return;
    }
    recorder.begin(in.runKey(), topic, in, action, timer.now());
    launch(in.runKey(), r.partition(), action, r);
  }

  /** Starts the registered run {@code runKey} on the engine. */
  private void launch(String runKey, int partition, Action<?> raw, ConsumerRecord<byte[], byte[]> record) {
    boolean resumed = DurableObservers.resumed(writer, raw.transactionId());
    boolean[] dropped = {false};
    Evictions.Idle idle = evictions == null ? null : new Evictions.Idle();
    SagaEngine.SagaRun run;
    try {
      Action<P> action = codec.convert(raw, payloadType);
      Object userContext = contextFactory.apply(record);
      run = engine.start(idle == null ? saga : Evictions.bind(saga, idle), action, record, userContext, resumed);
    } catch (RuntimeException e) {
      recorder.forget(raw.transactionId());
      writer.finish(runKey, String.valueOf(e.getMessage()), dead(record, e));
      counted(record, e);
      return;
    }
    Live l = new Live(runKey, partition, run, record, dropped, idle);
    live.put(raw.transactionId(), l);
    resident = live.size();
    observers.launched(resumed);
    run.done().whenComplete((v, e) -> {
      commands.add(() -> ended(raw.transactionId(), l, e));
    });
  }

  private void ended(String transactionId, Live l, Throwable failure) {
    if (l.dropped()[0]) {
      return;
    }
    live.remove(transactionId, l);
    resident = live.size();
    recorder.forget(transactionId);
    JournalWriter.ReplyState state = writer.replyState(transactionId);
    observers.ended(state == null ? null : state.journal(), failure);
    if (failure == null) {
      writer.finish(l.runKey(), null, null);
    } else {
      writer.finish(l.runKey(), String.valueOf(failure.getMessage()), dead(l.record(), failure));
      counted(l.record(), failure);
    }
    ArrayDeque<ConsumerRecord<byte[], byte[]>> waiting = queued.get(transactionId);
    if (waiting != null) {
      ConsumerRecord<byte[], byte[]> next = waiting.poll();
      if (waiting.isEmpty()) {
        queued.remove(transactionId);
      }
      if (next != null) {
        received(next);
      }
    }
  }

  /** The dead letter of {@code r}; every dead letter is built here once, so it is counted here. */
  private ProducerRecord<byte[], byte[]> dead(ConsumerRecord<byte[], byte[]> r, Throwable error) {
    observers.deadLettered();
    return DurableTopics.deadLetter(r, error, deadLetterTopic, groupId);
  }

  private void counted(ConsumerRecord<byte[], byte[]> r, Throwable error) {
    deadLetters.incrementAndGet();
    LOG.warn("saga of {}-{}@{} dead-lettered to {}: {}", r.topic(), r.partition(), r.offset(), deadLetterTopic,
        error.toString());
  }

  /** Stops the runs of {@code partitions} without journaling anything more. */
  private void dropRuns(Set<Integer> partitions, boolean wait) {
    writer.drop(partitions);
    List<SagaEngine.SagaRun> stopped = new ArrayList<>();
    live.entrySet().removeIf(e -> {
      Live l = e.getValue();
      if (!partitions.contains(l.partition())) {
        return false;
      }
      l.dropped()[0] = true;
      l.run().cancel();
      recorder.forget(e.getKey());
      stopped.add(l.run());
      return true;
    });
    queued.values().removeIf(q -> {
      q.removeIf(r -> partitions.contains(r.partition()));
      return q.isEmpty();
    });
    partitions.forEach(known::remove);
    if (evictions != null) {
      evictions.drop(partitions);
    }
    resident = live.size();
    if (wait) {
      // A stopped thread must not publish into a run rebuilt under its transaction id.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int late = 0;
      for (SagaEngine.SagaRun run : stopped) {
        try {
          run.done().handle((v, e) -> null).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
          late++;
        }
      }
      if (late > 0) { // one line, not one per saga: a partition may hold 100,000
        LOG.warn("{} of {} stopped saga threads did not end within 10 s", late, stopped.size());
      }
    }
  }

  /** Hands everything queued to the committer for one transaction; false when there is nothing to write. */
  private boolean submit() {
    positions();
    JournalWriter.Batch batch = writer.drain(System.nanoTime());
    if (batch.records().isEmpty() && !hasNewOffsets(batch.offsets())) {
      return false;
    }
    committer.submit(batch, consumer.groupMetadata());
    return true;
  }

  /** Tells the writer where the consumer stands (past a transaction marker, if the input has one). */
  private void positions() {
    for (TopicPartition tp : consumer.assignment()) {
      try {
        writer.position(tp.partition(), consumer.position(tp, Duration.ZERO));
      } catch (KafkaException e) {
        // not known yet (just assigned): the received offsets decide
      }
    }
  }

  /** Writes everything queued, after the transaction in flight, and waits (before a revocation). */
  private void commitNow() {
    if (recovering) {
      return; // nothing resident: the runs were dropped
    }
    JournalCommitter.Outcome outcome = committer.await();
    if (outcome != null && !committed(outcome)) {
      return; // rebuilt from the journal: nothing of the old runs is queued
    }
    positions();
    JournalWriter.Batch batch = writer.drain(System.nanoTime());
    if (!batch.records().isEmpty() || hasNewOffsets(batch.offsets())) {
      committed(committer.commitNow(batch, consumer.groupMetadata()));
    }
  }

  /**
   * Takes a transaction's outcome (loop thread); on failure rebuilds every partition from the
   * journal with a new producer. Returns whether it committed.
   */
  private boolean committed(JournalCommitter.Outcome outcome) {
    observers.transaction(outcome);
    if (outcome.error() == null) {
      lastCommitted.putAll(outcome.batch().offsets());
      commitFailing = false;
      return true;
    }
    KafkaException e = outcome.error();
    lastError = e;
    commitFailing = true;
    LOG.warn("a saga journal transaction of {} failed; rebuilding its sagas from the journal: {}", topic,
        e.toString());
    recoverNow();
    return false;
  }

  /**
   * Stops every run and rebuilds them from the journal with a new producer; when that fails too
   * (the cluster is away), the partitions stay paused and {@link #recover} tries again, backing off
   * up to {@link #MAX_RECOVERY_BACKOFF}. Records polled meanwhile are not run: the rebuild seeks
   * back to the committed offsets.
   */
  private void recoverNow() {
    recovering = true;
    recoveryBackoff = Duration.ZERO;
    nextRecovery = System.nanoTime();
    recover();
  }

  private void recover() {
    if (!recovering || System.nanoTime() - nextRecovery < 0) {
      return;
    }
    Set<TopicPartition> parts = consumer.assignment();
    dropRuns(numbers(parts), true);
    consumer.pause(parts);
    lastCommitted.clear();
    try {
      committer.open();
      rebuild();
      recovering = false;
      consumer.resume(consumer.paused());
      LOG.info("the durable saga consumer of {} rebuilt its sagas from {}", topic, journalTopic);
    } catch (RuntimeException e) {
      lastError = e;
      commitFailing = true;
      Duration doubled = recoveryBackoff.isZero() ? Duration.ofSeconds(1) : recoveryBackoff.multipliedBy(2);
      recoveryBackoff = doubled.compareTo(MAX_RECOVERY_BACKOFF) > 0 ? MAX_RECOVERY_BACKOFF : doubled;
      nextRecovery = System.nanoTime() + recoveryBackoff.toNanos();
      LOG.warn("the durable saga consumer of {} cannot rebuild its sagas from {} yet (next try in {} s): {}", topic,
          journalTopic, recoveryBackoff.toSeconds(), e.toString());
    }
  }

  private final Map<TopicPartition, OffsetAndMetadata> lastCommitted = new HashMap<>();

  private boolean hasNewOffsets(Map<TopicPartition, OffsetAndMetadata> offsets) {
    return offsets.entrySet().stream().anyMatch(e -> !e.getValue().equals(lastCommitted.get(e.getKey())));
  }

  /** Seeks back to the committed offsets and restores every assigned partition ({@link #recover} dropped the runs). */
  private void rebuild() {
    Set<TopicPartition> parts = consumer.assignment();
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(parts, Duration.ofSeconds(15));
    for (TopicPartition tp : parts) {
      OffsetAndMetadata o = committed.get(tp);
      if (o != null) {
        consumer.seek(tp, o.offset());
      } else {
        consumer.seekToBeginning(List.of(tp));
      }
      restore(tp);
    }
  }

  /** Evicts runs idle for {@code evictIdleAfter} (see {@link Evictions}), a bounded number per sweep. */
  private void evictIdle() {
    if (evictions == null) {
      return;
    }
    long now = System.nanoTime();
    if (evictions.sweepDue(now)) {
      int count = 0;
      for (var it = live.entrySet().iterator(); it.hasNext() && count < Evictions.MAX_PER_SWEEP;) {
        Map.Entry<String, Live> e = it.next();
        Live l = e.getValue();
        if (evictions.evict(e.getKey(), l.runKey(), l.partition(), l.idle(), l.run(), now)) {
          l.dropped()[0] = true; // its thread is stopped: its end is not the saga's
          it.remove();
          count++;
        }
      }
      evictions.swept(now, count);
      resident = live.size();
    }
    evicted = evictions.size(); // also after wakes and drops
  }

  private void backpressure() {
    Set<TopicPartition> parts = consumer.assignment();
    if (recovering) {
      consumer.pause(parts);
    } else if (live.size() + queued.size() + (evictions == null ? 0 : evictions.size()) >= maxResident) {
      consumer.pause(parts);
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  // ------------------------------------------------------------------ SagaConsumer

  @Override
  public boolean isAssigned() {
    return assigned;
  }

  @Override
  public long deadLetters() {
    return deadLetters.get();
  }

  @Override
  public int residentSagas() {
    return resident;
  }

  /** The sagas evicted while idle and not rebuilt yet (0 without eviction). */
  public int evictedSagas() {
    return evicted;
  }

  /**
   * The consumer's state for health checks: DISCONNECTED and DOWN while no broker has answered for
   * the connection timeout; DOWN while journal transactions fail (each failure rebuilds the sagas
   * from the journal) or after the loop stopped on an error. {@code inFlight}
   * counts the resident sagas; stalled records and buffered bytes are not tracked here.
   */
  @Override
  public io.sagaflow.processor.ProcessorStatus status() {
    Throwable error = lastError;
    boolean failedLoop = stopped && !closing && error != null;
    List<String> problems = new ArrayList<>();
    if (failedLoop) {
      problems.add("the durable saga consumer of " + topic + " stopped: " + error + "; its sagas resume on the "
          + "group's next owner; restart this consumer");
    } else if (!stopped && !closing && connection.disconnected(System.nanoTime())) {
      problems.add("cannot reach the Kafka cluster at " + bootstrapServers + ": no broker has answered the durable saga"
          + " consumer of " + topic + " for " + connectionTimeout.toSeconds() + " s (connectionTimeout); check"
          + " bootstrap.servers, the network, and that security.protocol matches the listener; its sagas wait and"
          + " nothing is lost");
    } else if (commitFailing && error != null) {
      problems.add("journal transactions to " + journalTopic + " fail: " + error + "; sagas are rebuilt from the "
          + "journal after each failure; check that the journal topic accepts transactional writes");
    }
    io.sagaflow.processor.ProcessorStatus.State state = failedLoop ? io.sagaflow.processor.ProcessorStatus.State.FAILED
        : stopped ? io.sagaflow.processor.ProcessorStatus.State.CLOSED
        : closing ? io.sagaflow.processor.ProcessorStatus.State.CLOSING
        : connection.disconnected(System.nanoTime()) ? io.sagaflow.processor.ProcessorStatus.State.DISCONNECTED
        : io.sagaflow.processor.ProcessorStatus.State.RUNNING;
    return new io.sagaflow.processor.ProcessorStatus(state, assignedPartitions, Set.of(), Set.of(), resident, 0, Map.of(),
        java.util.Optional.ofNullable(error), List.of(), problems.isEmpty()
            ? io.sagaflow.processor.ProcessorStatus.Health.UP : io.sagaflow.processor.ProcessorStatus.Health.DOWN,
        problems);
  }

  /**
   * Stops as a crash would: nothing queued since the last commit is written, no saga is ended;
   * the group's next owner resumes them from the journal. For tests of recovery.
   */
  public void halt() {
    halt(true);
  }

  /**
   * {@link #halt()}, and with {@code leaveGroup} false the consumer does not leave its group either,
   * as after {@code kill -9}: the group waits for its session to time out (or for a static member
   * with the same instance id to come back).
   */
  public void halt(boolean leaveGroup) {
    remainInGroup = !leaveGroup;
    halted = true;
    closing = true;
    consumer.wakeup();
    join();
  }

  /** Commits what is queued, stops the sagas (they resume on the next owner) and closes. */
  @Override
  public void close() {
    closing = true;
    consumer.wakeup();
    join();
  }

  private void join() {
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      thread.join(Duration.ofSeconds(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
