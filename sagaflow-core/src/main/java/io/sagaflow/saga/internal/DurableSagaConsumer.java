package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionSource;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.JournalLimits;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * A durable saga consumer: every saga is journaled, survives a crash of its process and resumes on
 * the group's next owner of its input partition.
 *
 * <p>Design. One platform thread ({@link DurableLoop}) owns the group's {@link KafkaConsumer}; a
 * {@link JournalCommitter} owns one transactional {@link KafkaProducer}. The thread polls the input
 * topic; each record starts a run ({@link ResidentRuns}) on a virtual thread of an engine whose
 * {@link JournalRecorder} journals into a {@link JournalWriter}, which is also the engine's
 * publisher. When no transaction is in flight (and at most once per commit interval) the thread
 * drains the writer into one transaction ({@link JournalTransactions}): journal values, puts,
 * tombstones, dead letters and the input offsets (with the consumer's group metadata, so a
 * zombie's transaction is fenced). It goes on polling while the committer writes it, and takes the
 * outcome before it drains the next batch. Effects do not wait for the commit: a put becomes
 * visible only when it commits, with the entry that journals it.
 *
 * <ul>
 *   <li><b>Assignment</b> ({@link DurableRebalance}, {@link JournalRestore}): the journal partition
 *       with the input partition's number is read from its beginning to its last stable offset
 *       ({@link JournalReader}); each live run is resumed ({@link JournalRecorder#resume}) and its
 *       code runs again, replaying journaled effects. An undecodable record or a journal of
 *       another version is tombstoned and dead-lettered; a non-determinism error fails that run
 *       alone (dead-lettered). Input records at or past the committed offset whose run is in the
 *       journal (live or ended) are skipped.
 *   <li><b>Revocation</b>: queued writes are committed, then the partition's runs are stopped
 *       without journaling anything. <b>Loss</b>: they are stopped and the queue dropped.
 *   <li><b>A failed transaction</b> (fenced, aborted, the cluster away; {@link DurableRecovery}):
 *       every assigned partition is dropped and rebuilt from the committed journal with a new
 *       producer, and the input rewound to the committed offsets; while that fails too, the input
 *       stays paused and the rebuild is tried again, backing off from 1 s to 30 s.
 *   <li><b>Status</b> ({@link DurableStatus}): DISCONNECTED when no broker has answered for the
 *       connection timeout (a {@code ConnectionWatch}, as in a Processor).
 *   <li><b>One run per transaction id</b>: a record whose transaction already has a resident run
 *       waits for it (its offset, and the ones after, stay uncommitted meanwhile).
 *   <li><b>Backpressure</b>: fetching pauses while {@code maxWaitingSagas} runs are resident or
 *       evicted.
 *   <li><b>Eviction</b> ({@code evictIdleAfter}): a run idle that long leaves memory as its journal
 *       and is resumed as a restore resumes it when a reply or its deadline comes ({@link Evictions}).
 * </ul>
 *
 * This class creates the clients and the parts and answers the {@link SagaConsumer} calls; the
 * parts' notes say which thread calls what.
 */
public final class DurableSagaConsumer<P> implements SagaConsumer {
  /** What the runtime lends a durable consumer; {@code observers} measure and trace its runs. */
  public record Environment(List<SagaMiddleware> middleware, ActionSource source, ActionCodec codec, Timer timer,
      int channelCapacity, Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory, Observers observers) {
    /** An environment whose runs nothing observes. */
    public Environment(List<SagaMiddleware> middleware, ActionSource source, ActionCodec codec, Timer timer,
        int channelCapacity, Function<ConsumerRecord<byte[], byte[]>, Object> contextFactory) {
      this(middleware, source, codec, timer, channelCapacity, contextFactory, Observers.NONE);
    }
  }

  private final DurableStatus status;
  private final ResidentRuns<P> runs;
  private final DurableLoop loop;

  /**
   * Creates the journal topic if needed and starts the consumer.
   *
   * @throws IllegalStateException when the journal topic exists with another partition count than
   *     the input topic's, or a topic is missing and cannot be created
   */
  public DurableSagaConsumer(ClusterOptions cluster, Map<String, Object> kafkaProperties, String topic,
      Class<P> payloadType, Saga<P> saga, SagaConsumerOptions options, Environment env,
      TopicAdministrator runtimeTopics) {
    String groupId = options.groupId();
    String journalTopic = options.durability().journalTopicFor(groupId);
    String deadLetterTopic = options.deadLetterTopicFor(topic);
    ActionCodec codec = env.codec();
    Timer timer = env.timer();
    this.status = new DurableStatus(topic, journalTopic, cluster.bootstrapServers(), options.connectionTimeout());
    DurableObservers observers = new DurableObservers(env.observers(), topic, groupId, timer);
    if (!(env.source() instanceof KafkaReplyRouter router)) {
      throw new IllegalStateException("a durable saga consumer needs the runtime's Kafka reply consumer (a runtime"
          + " from Sagas.runtime(options)), not " + env.source().getClass().getName());
    }
    ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    Admin admin = KafkaClients.admin(cluster, "saga-durable", KafkaClients.known(kafkaProperties,
        KafkaClients.adminKeys()));
    JournalWriter writer;
    JournalRecorder recorder;
    Evictions evictions;
    SagaEngine engine;
    KafkaConsumer<byte[], byte[]> consumer;
    JournalReader reader;
    JournalCommitter committer;
    try {
      DurableTopics.ensure(cluster, admin, topic, journalTopic, deadLetterTopic,
          options.topicAdministrator() != null ? options.topicAdministrator() : runtimeTopics);
      writer = new JournalWriter(journalTopic, topic, new JournalCodec(codec.mapper()), codec,
          env.observers().tracing());
      recorder = new JournalRecorder(writer, codec, JournalLimits.DEFAULT);
      DurableReplies replies = new DurableReplies(router, writer, admin, cluster, kafkaProperties, codec);
      Duration idle = options.durability().evictIdleAfter();
      // Evictions exists before the runs it wakes, hence the method reference to this.
      evictions = idle == null ? null
          : new Evictions(idle, writer, recorder, router, replies, timer, commands::add, this::resumeEvicted);
      engine = new SagaEngine(env.middleware(), writer, replies, timer, recorder, codec, env.channelCapacity(),
          evictions != null ? evictions : Activity.NONE, env.observers());
      consumer = KafkaClients.consumer(cluster, "saga-durable", consumerConfig(kafkaProperties, options));
      reader = new JournalReader(cluster, kafkaProperties, journalTopic);
      committer = new JournalCommitter(cluster, groupId + "-saga-journal", options.durability().instanceId(),
          producerConfig(kafkaProperties), "sagaflow-durable-commit-" + groupId);
    } catch (RuntimeException e) {
      admin.close();
      throw e;
    }
    DurableParts parts = new DurableParts(topic, groupId, journalTopic, deadLetterTopic, consumer, writer, recorder,
        reader, committer, observers, status);
    this.runs = new ResidentRuns<>(parts, payloadType, saga, codec, env.contextFactory(), timer, engine, evictions,
        commands::add);
    this.loop = new DurableLoop(parts, options.durability().commitInterval(), options.durability().maxWaitingSagas(),
        admin, commands, runs);
    observers.open(runs::resident, runs::evicted, writer);
    RuntimeException startFailure = loop.start();
    if (startFailure != null) {
      close();
      throw startFailure;
    }
  }

  private static Map<String, Object> consumerConfig(Map<String, Object> kafkaProperties,
      SagaConsumerOptions options) {
    Map<String, Object> config = new HashMap<>(KafkaClients.known(kafkaProperties, ConsumerConfig.configNames()));
    config.keySet().removeIf(k -> k.endsWith(".deserializer"));
    config.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    if (options.durability().instanceId() != null) {
      config.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, options.durability().instanceId());
    }
    return config;
  }

  private static Map<String, Object> producerConfig(Map<String, Object> kafkaProperties) {
    Map<String, Object> config = new HashMap<>(KafkaClients.known(kafkaProperties, ProducerConfig.configNames()));
    config.keySet().removeIf(k -> k.endsWith(".serializer"));
    // Records go out at once, while sendOffsetsToTransaction waits for the group coordinator.
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // A busy transaction carries thousands of records (journal states of a few hundred bytes): with
    // the default 16 KB a partition's share leaves in many produce round trips, each waiting for the
    // one before (at most 5 in flight), and the commit waits for the last. Each batch in flight holds
    // a buffer of batch.size however little it carries (linger 0), so the buffer memory grows with it:
    // 6 batches of each partition written (5 in flight, 1 filling) stay below it up to ~40 partitions.
    config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    config.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    // A crashed owner's open transaction blocks the journal's last stable offset until it times out.
    config.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 15_000);
    // While the cluster is away, a rebuild's initTransactions gives up after this, and is tried again.
    config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    // A transaction refused because the one before is still writing its markers (a few ms) is tried
    // again after this, a fixed 100 ms by default (see JournalCommitter). Produce and metadata retries
    // back off exponentially from it up to retry.backoff.max.ms (1 s).
    config.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
    return config;
  }

  /** Loop thread: {@link Evictions} wakes an evicted run. */
  private void resumeEvicted(int partition, String runKey, byte[] journal) {
    runs.resume(partition, runKey, journal);
  }

  @Override
  public boolean isAssigned() {
    return status.isAssigned();
  }

  @Override
  public long deadLetters() {
    return runs.deadLetters();
  }

  @Override
  public int residentSagas() {
    return runs.resident();
  }

  /** The sagas evicted while idle and not rebuilt yet (0 without eviction). */
  public int evictedSagas() {
    return runs.evicted();
  }

  /**
   * The consumer's state for health checks: DISCONNECTED and DOWN while no broker has answered for
   * the connection timeout; DOWN while journal transactions fail (each failure rebuilds the sagas
   * from the journal) or after the loop stopped on an error. {@code inFlight}
   * counts the resident sagas; stalled records and buffered bytes are not tracked here.
   */
  @Override
  public ProcessorStatus status() {
    return status.status(runs.resident());
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
    loop.halt(leaveGroup);
  }

  /** Commits what is queued, stops the sagas (they resume on the next owner) and closes. */
  @Override
  public void close() {
    loop.close();
  }
}
