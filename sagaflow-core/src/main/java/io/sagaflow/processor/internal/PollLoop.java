package io.sagaflow.processor.internal;

import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns a {@link KafkaConsumer}: the only caller of poll, commit, pause,
 * resume and seek. Workers and users talk to it through {@link Command}s.
 *
 * <p>Each turn: apply commands (completions update the {@link OffsetTracker}s and the in-flight
 * counts), commit if due, recompute which partitions must be paused (backpressure, per-partition
 * limit, metadata cap, not-before delays, user pauses, publisher demand), poll, and dispatch what
 * came back. Dispatch is bounded: records that would exceed a bound stay in their partition's
 * backlog (at most one poll's worth) and the partition is paused until there is room; a record
 * whose not-before time is in the future is not taken and its partition is rewound to it (seek) and
 * paused. Memory is bounded by the limits, not by the handler's speed, and poll keeps being called.
 * While every partition is paused the thread parks until a completion arrives (or a bound of
 * milliseconds passes) instead of sleeping in poll, so room is refilled as soon as it frees up.
 *
 * <p>Rebalance: revoked partitions are flagged (workers stop taking their records), their running
 * work gets up to {@code rebalanceTimeout} to finish, what finished is committed synchronously,
 * then their {@link PartitionState} is detached so late completions are ignored.
 */
final class PollLoop<K, V> implements Runnable, ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(PollLoop.class);
  static final int METADATA_MAX_CHARS = 3000;
  private static final Object PARTITION_KEY = new Object();
  private static final Object NULL_KEY = new Object();
  private static final long STATUS_EVERY_NANOS = 200_000_000L;

  final boolean finishOnAck;
  final boolean exactlyOnce;
  volatile boolean aborted;

  private final ProcessorRuntime<K, V> runtime;
  private final ProcessorOptions<K, V> options;
  private final Work<K, V> work;
  private final RecordPublisher<K, V> publisher;
  private final Metrics metrics;
  private final Map<String, Object> consumerProps;
  private final boolean batchMode;
  private final Ordering ordering;
  private final Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore;
  private final ConcurrentLinkedQueue<Command> commands = new ConcurrentLinkedQueue<>();
  private final Map<TopicPartition, PartitionState> states = new HashMap<>();
  private final Set<TopicPartition> userPaused = new HashSet<>();
  private final Map<TopicPartition, Long> committedView = new HashMap<>();
  final String name;

  private volatile boolean closeRequested;
  private volatile long closeDeadlineNanos;
  private volatile LoopSnapshot snapshot = LoopSnapshot.EMPTY;
  private KafkaConsumer<byte[], byte[]> consumer;
  private boolean backpressured;
  private long nextCommitNanos;
  private long nextStatusNanos;
  private boolean foreignMetadataLogged;
  private ConsumerGroupMetadata groupMetadata;
  /** Immutable copy of the assigned partitions handed to deliveries; null when it must be rebuilt. */
  private Set<TopicPartition> assignmentView;
  /** The consumer's client.id, known once the consumer exists. */
  volatile String clientId;
  private Lane[] activated = new Lane[64];
  private int activatedCount;
  /** The poll thread, parked while every partition is paused; {@link #enqueue} wakes it. */
  private Thread pollThread;
  private volatile boolean parked;
  private long lastCommitNanos;
  /** Partitions with a backlog, in the order they are next served, and the backlogs' size. */
  private final ArrayDeque<PartitionState> backlogged = new ArrayDeque<>();
  private long backlogRecords;
  private long backlogBytes;

  // ---- one dispatch pass (poll thread) ----
  private long passNowMillis;
  private Instant passNow;
  private ConsumerGroupMetadata passGroup;
  private Set<TopicPartition> passAssignment;
  private long passCapacity;
  private long passInFlight;
  private long passBytes;
  private long passAdded;
  private long passAddedBytes;

  // ---- exactly-once ----
  private final TxnGate gate = new TxnGate();
  private final String transactionalId;
  private volatile KafkaProducer<byte[], byte[]> txProducer;
  /** A send was refused at once: the open transaction cannot commit. */
  private volatile Throwable txnPoison;
  private long txnFinished;

  /** What {@link ProcessorRuntime#status()} reads, refreshed by the poll thread. */
  record LoopSnapshot(
      Set<TopicPartition> assigned,
      Set<TopicPartition> paused,
      Set<TopicPartition> userPaused,
      Map<TopicPartition, Long> committed) {
    static final LoopSnapshot EMPTY = new LoopSnapshot(Set.of(), Set.of(), Set.of(), Map.of());
  }

  PollLoop(
      ProcessorRuntime<K, V> runtime,
      ProcessorOptions<K, V> options,
      int index,
      Work<K, V> work,
      RecordPublisher<K, V> publisher,
      boolean batchMode,
      Metrics metrics) {
    this.runtime = runtime;
    this.options = options;
    this.work = work;
    this.publisher = publisher;
    this.batchMode = batchMode;
    this.metrics = metrics;
    this.ordering = options.ordering();
    this.notBefore = options.notBefore();
    this.finishOnAck = publisher != null || options.commitStrategy() == CommitStrategy.MANUAL;
    this.name = "sagaflow-poll-" + options.groupId() + "-" + index;
    Map<String, Object> props = new HashMap<>(options.kafkaProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // Nothing is lost by default: a new group starts from the beginning unless the user says otherwise.
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Object clientId = options.kafkaProperties().get(ConsumerConfig.CLIENT_ID_CONFIG);
    if (clientId != null && options.consumers() > 1) {
      props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-" + index);
    }
    this.exactlyOnce = options.isExactlyOnce();
    if (exactlyOnce) {
      // Input written by transactional producers is read only once committed.
      props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      this.transactionalId = runtime.transactionalIdPrefix + "-" + index;
    } else {
      this.transactionalId = null;
    }
    this.consumerProps = props;
  }

  KafkaProducer<byte[], byte[]> sharedProducer() {
    return runtime.sharedProducer();
  }

  void enqueue(Command c) {
    commands.offer(c);
    if (parked) {
      parked = false;
      LockSupport.unpark(pollThread);
    }
  }

  LoopSnapshot snapshot() {
    return snapshot;
  }

  void requestClose(long deadlineNanos) {
    if (!closeRequested || deadlineNanos - closeDeadlineNanos < 0) {
      closeDeadlineNanos = deadlineNanos;
    }
    closeRequested = true;
  }

  @Override
  public void run() {
    try {
      pollThread = Thread.currentThread();
      consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      clientId = clientIdOf(consumer);
      if (exactlyOnce) {
        txProducer = newTransactionalProducer();
      }
      if (options.topicPattern() != null) {
        consumer.subscribe(options.topicPattern(), this);
      } else {
        consumer.subscribe(options.topics(), this);
      }
      nextCommitNanos = System.nanoTime() + options.commitInterval().toNanos();
      while (!closeRequested) {
        turn();
      }
      shutdown();
    } catch (Throwable t) {
      LOG.error("Poll loop {} failed; stopping the processor", name, t);
      aborted = true;
      wakeAll(false);
      runtime.fatal(t);
      if (consumer != null) {
        try {
          consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
          LOG.warn("Closing consumer of {} failed", name, e);
        }
      }
      closeTransactionalProducer();
    } finally {
      snapshot = LoopSnapshot.EMPTY;
    }
  }

  private void turn() {
    work.runners.checkStall();
    applyCommands();
    long now = System.nanoTime();
    CommitStrategy strategy = options.commitStrategy();
    if (exactlyOnce) {
      if (now - nextCommitNanos >= 0 || txnFinished >= options.exactlyOnce().maxRecordsPerTransaction()) {
        commitTransaction();
        // Counted from the end of the commit, as Kafka Streams does: the commit blocks the
        // transaction's workers, so counting from its start would leave less than the interval
        // for processing whenever a commit is slow.
        nextCommitNanos = System.nanoTime() + options.commitInterval().toNanos();
      }
    } else if (strategy == CommitStrategy.SYNC_PER_BATCH) {
      commitSync(states.values());
    } else if (strategy != CommitStrategy.NONE && (now - nextCommitNanos >= 0 || idleCommitDue(now))) {
      commitAsync();
      nextCommitNanos = now + options.commitInterval().toNanos();
      lastCommitNanos = now;
    }
    if (!closeRequested) {
      drainBacklogs();
    }
    updatePauses(now);
    ConsumerRecords<byte[], byte[]> records;
    boolean allPaused = allPaused();
    if (publisher == null && (allPaused || backpressured) && !closeRequested) {
      // Full, or nothing to fetch: wait for work to finish (a completion wakes us at once), then
      // let the consumer run its callbacks and network I/O without waiting. A poll that waited
      // instead would leave the room that frees up empty for its whole timeout.
      parkForCompletions(now, allPaused ? 20_000_000L : 2_000_000L);
      records = consumer.poll(Duration.ZERO);
    } else {
      records = consumer.poll(Duration.ofMillis(pollTimeoutMillis(now)));
    }
    if (!records.isEmpty() && !closeRequested) {
      dispatch(records);
    }
    if (now - nextStatusNanos >= 0) {
      publishSnapshot();
      nextStatusNanos = now + STATUS_EVERY_NANOS;
    }
  }

  /**
   * Periodic commits also go out as soon as a loop becomes idle (nothing in flight, nothing
   * waiting), at most every tenth of the interval: the last records of a burst are then committed
   * at once instead of up to an interval later, without a commit per record when traffic trickles.
   */
  private boolean idleCommitDue(long now) {
    if (now - lastCommitNanos < options.commitInterval().toNanos() / 10) {
      return false;
    }
    for (PartitionState s : states.values()) {
      if (s.outstanding > 0 || s.backlog != null) {
        return false;
      }
    }
    return true;
  }

  private boolean allPaused() {
    if (states.isEmpty() || closeRequested) {
      return false;
    }
    for (PartitionState s : states.values()) {
      if (!s.paused) {
        return false;
      }
    }
    return true;
  }

  private void parkForCompletions(long now, long maxNanos) {
    long waitNanos = work.runners.hasWaiting() ? Math.min(maxNanos, 1_000_000L) : maxNanos;
    CommitStrategy strategy = options.commitStrategy();
    if (exactlyOnce || (strategy != CommitStrategy.NONE && strategy != CommitStrategy.SYNC_PER_BATCH)) {
      // Only these advance nextCommitNanos; for the others it stays in the past (no busy loop).
      waitNanos = Math.min(waitNanos, Math.max(0, nextCommitNanos - now));
    }
    for (PartitionState s : states.values()) {
      if (s.notBeforeUntilNanos != 0) {
        waitNanos = Math.min(waitNanos, Math.max(0, s.notBeforeUntilNanos - now));
      }
    }
    if (waitNanos <= 0) {
      return;
    }
    parked = true;
    if (commands.isEmpty()) {
      LockSupport.parkNanos(this, waitNanos);
    }
    parked = false;
  }

  private long pollTimeoutMillis(long now) {
    long timeout = backpressured || (publisher != null && publisher.capacity() <= 0) ? 5 : 100;
    if (work.runners.hasWaiting()) {
      timeout = 1; // lanes wait for a runner: check for stuck runners soon
    }
    for (PartitionState s : states.values()) {
      if (s.backlog != null || s.outstanding >= options.maxInFlightPerPartition()) {
        timeout = Math.min(timeout, 5);
      }
      if (s.notBeforeUntilNanos != 0) {
        timeout = Math.min(timeout, Math.max(1, (s.notBeforeUntilNanos - now) / 1_000_000 + 1));
      }
    }
    return timeout;
  }

  // ---- dispatch ----

  /**
   * Takes a poll's records: each partition's records join its backlog, then {@link
   * #drainBacklogs()} dispatches what fits under the limits (in flight, bytes, per partition,
   * publisher demand, commit-metadata cap). What does not fit waits there, with its partition
   * paused; no record is fetched twice.
   */
  private void dispatch(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      PartitionState s = states.get(tp);
      if (s == null || s.revoked) {
        continue;
      }
      List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
      backlogRecords += list.size();
      backlogBytes += sizeOf(list, 0);
      if (s.backlog == null) {
        s.backlog = list;
        s.backlogFrom = 0;
        backlogged.add(s);
      } else {
        // Fetched before the pause took effect: it follows the backlog.
        List<ConsumerRecord<byte[], byte[]>> joined =
            new ArrayList<>(s.backlog.subList(s.backlogFrom, s.backlog.size()));
        joined.addAll(list);
        s.backlog = joined;
        s.backlogFrom = 0;
      }
    }
    drainBacklogs();
  }

  /**
   * Dispatches from the partitions' backlogs what now fits, fairly: first every waiting partition
   * up to an equal share of {@code maxInFlight} (counting what it already has in flight), then
   * whatever room is left, round robin. Without the share, the partitions that happened to be
   * polled first would take every slot that frees up, and with a few slow keys holding slots
   * (skewed keys) the other partitions would make no progress, nor would their committed offsets.
   */
  private void drainBacklogs() {
    int n = backlogged.size();
    if (n == 0) {
      return;
    }
    beginPass();
    long share = Math.max(1, options.maxInFlight() / n);
    serveBacklogs(share);
    if (passInFlight + passAdded < options.maxInFlight()) {
      serveBacklogs(Long.MAX_VALUE);
    }
    endPass();
  }

  /** One round over the waiting partitions, each taking up to {@code share} in flight. */
  private void serveBacklogs(long share) {
    for (int i = 0, n = backlogged.size(); i < n; i++) {
      PartitionState s = backlogged.poll();
      if (s.backlog == null || s.detached || states.get(s.tp) != s) {
        dropBacklog(s);
        continue;
      }
      long room = share - s.outstanding; // share is Long.MAX_VALUE in the last round: no overflow
      if (room > 0 && !userPaused.contains(s.tp)) {
        dispatchBacklog(s, room);
      }
      if (s.backlog != null) {
        backlogged.add(s);
      }
    }
  }

  private void dropBacklog(PartitionState s) {
    if (s.backlog != null) {
      backlogRecords -= s.backlog.size() - s.backlogFrom;
      backlogBytes -= sizeOf(s.backlog, s.backlogFrom);
      s.backlog = null;
      s.backlogFrom = 0;
    }
  }

  private static long sizeOf(List<ConsumerRecord<byte[], byte[]>> list, int from) {
    long bytes = 0;
    for (int i = from; i < list.size(); i++) {
      bytes += Delivery.sizeOf(list.get(i));
    }
    return bytes;
  }

  private void beginPass() {
    passNowMillis = System.currentTimeMillis();
    passNow = notBefore == null ? null : Instant.ofEpochMilli(passNowMillis);
    passGroup = consumer.groupMetadata();
    groupMetadata = passGroup;
    if (assignmentView == null) {
      assignmentView = Set.copyOf(states.keySet());
    }
    passAssignment = assignmentView;
    passCapacity = publisher != null ? publisher.capacity() : Long.MAX_VALUE;
    passInFlight = runtime.inFlight.get();
    passBytes = runtime.bytes.get();
    passAdded = 0;
    passAddedBytes = 0;
  }

  private void endPass() {
    runtime.inFlight.addAndGet(passAdded);
    runtime.bytes.addAndGet(passAddedBytes);
    if (activatedCount > 0) {
      work.runners.executeAll(activated, activatedCount);
      java.util.Arrays.fill(activated, 0, activatedCount, null);
      activatedCount = 0;
    }
    if (publisher != null && passAdded > 0) {
      publisher.signal();
    }
  }

  /**
   * Dispatches at most {@code max} records from the front of {@code s}'s backlog, until a limit is
   * reached; drops the backlog once it is empty, or when the partition is rewound to a record that
   * is not due yet (the rest is fetched again when it is).
   */
  private void dispatchBacklog(PartitionState s, long max) {
    int maxInFlight = options.maxInFlight();
    long maxBytes = options.maxBufferedBytes();
    int perPartition = options.maxInFlightPerPartition();
    List<ConsumerRecord<byte[], byte[]>> list = s.backlog;
    int from = s.backlogFrom;
    List<Delivery<K, V>> batch = batchMode ? new ArrayList<>(list.size() - from) : null;
    int i = from;
    long taken = 0;
    long takenBytes = 0; // of the records leaving the backlog, skipped ones included
    boolean rewound = false;
    for (; i < list.size() && taken < max; i++) {
      ConsumerRecord<byte[], byte[]> rec = list.get(i);
      long offset = rec.offset();
      int size = Delivery.sizeOf(rec);
      int kind = s.tracker.classify(offset);
      if (kind == OffsetTracker.SKIP) {
        takenBytes += size;
        continue;
      }
      long total = passInFlight + passAdded;
      boolean full = total >= maxInFlight || (total > 0 && passBytes + passAddedBytes + size > maxBytes);
      if (s.overCap || s.outstanding >= perPartition || full || passCapacity <= 0) {
        break; // updatePauses pauses the partition while its backlog waits
      }
      if (notBefore != null) {
        Instant due = dueTime(rec);
        if (due != null && due.isAfter(passNow)) {
          consumer.seek(s.tp, offset); // not due yet: fetched again when it is
          long waitNanos = Duration.between(passNow, due).toNanos();
          s.notBeforeUntilNanos = System.nanoTime() + Math.max(1, waitNanos);
          rewound = true;
          break;
        }
      }
      if (kind == OffsetTracker.NEW) {
        s.tracker.register(offset);
      }
      if (s.firstFetched < 0) {
        s.firstFetched = offset;
      }
      Delivery<K, V> d = new Delivery<>(rec, s, this, passNowMillis, passGroup, passAssignment, size);
      s.outstanding++;
      s.outstandingBytes += size;
      passAdded++;
      passAddedBytes += size;
      passCapacity--;
      taken++;
      takenBytes += size;
      if (batch != null) {
        batch.add(d);
      } else {
        route(s, d);
      }
    }
    if (batch != null && !batch.isEmpty()) {
      @SuppressWarnings({"unchecked", "rawtypes"})
      Delivery<K, V>[] array = batch.toArray(new Delivery[0]);
      activate(partitionLane(s), array);
    }
    if (s.lanes.size() > s.lanesSweepAt) {
      // Idle lanes are dropped in sweeps whose cost is amortised: the next sweep waits until the
      // map has doubled again, so a partition with many busy keys is not scanned on every call.
      s.lanes.values().removeIf(l -> l.idle() && l != s.partitionLane);
      s.lanesSweepAt = Math.max(1024, 2 * s.lanes.size());
    }
    backlogRecords -= i - from;
    backlogBytes -= takenBytes;
    s.backlogFrom = i;
    if (rewound || i == list.size()) {
      dropBacklog(s);
    }
  }

  private Instant dueTime(ConsumerRecord<byte[], byte[]> rec) {
    try {
      return notBefore.apply(rec);
    } catch (RuntimeException e) {
      LOG.error("notBefore function failed for {}-{}@{}; processing the record now",
          rec.topic(), rec.partition(), rec.offset(), e);
      return null;
    }
  }

  private void route(PartitionState s, Delivery<K, V> d) {
    if (publisher != null) {
      publisher.offer(d);
      return;
    }
    switch (ordering) {
      case PARTITION -> activate(partitionLane(s), d);
      case KEY -> {
        byte[] k = d.raw.key();
        Object key = k == null ? NULL_KEY : new BytesKey(k);
        Lane lane = s.lanes.get(key);
        if (lane == null) {
          lane = new Lane(s, work);
          s.lanes.put(key, lane);
        }
        activate(lane, d);
      }
      case UNORDERED -> {
        Lane lane = new Lane(s, work);
        s.lanes.put(lane, lane);
        activate(lane, d);
      }
    }
  }

  private void activate(Lane lane, Object item) {
    if (lane.submit(item)) {
      if (activatedCount == activated.length) {
        activated = java.util.Arrays.copyOf(activated, activated.length * 2);
      }
      activated[activatedCount++] = lane;
    }
  }

  private Lane partitionLane(PartitionState s) {
    Lane lane = s.partitionLane;
    if (lane == null) {
      lane = new Lane(s, work);
      s.partitionLane = lane;
      s.lanes.put(PARTITION_KEY, lane);
    }
    return lane;
  }

  // ---- commands ----

  private void applyCommands() {
    Command c;
    long doneRecords = 0;
    long doneBytes = 0;
    while ((c = commands.poll()) != null) {
      switch (c) {
        case Command.Completion done -> {
          PartitionState s = done.state();
          if (s.detached) {
            continue;
          }
          long[] offsets = done.offsets();
          for (int i = 0; i < done.finished(); i++) {
            s.tracker.finished(offsets[i]);
          }
          int n = done.finished() + done.dropped();
          txnFinished += done.finished();
          s.outstanding -= n;
          s.outstandingBytes -= done.bytes();
          doneRecords += n;
          doneBytes += done.bytes();
        }
        case Command.Ack ack -> {
          Delivery<?, ?> d = ack.delivery();
          PartitionState s = d.state;
          if (s.detached) {
            continue;
          }
          s.tracker.finished(d.raw.offset());
          s.outstanding--;
          s.outstandingBytes -= d.bytes;
          doneRecords++;
          doneBytes += d.bytes;
        }
        case Command.UserPause p -> {
          if (p.pause()) {
            userPaused.addAll(p.partitions());
          } else {
            userPaused.removeAll(p.partitions());
          }
        }
      }
    }
    if (doneRecords != 0) {
      runtime.inFlight.addAndGet(-doneRecords);
      runtime.bytes.addAndGet(-doneBytes);
    }
  }

  // ---- backpressure ----

  private void updatePauses(long now) {
    long inFlight = runtime.inFlight.get();
    long bytes = runtime.bytes.get();
    int maxInFlight = options.maxInFlight();
    long maxBytes = options.maxBufferedBytes();
    // No hysteresis: records that do not fit wait in a backlog instead of being fetched again, so
    // resuming as soon as there is room costs nothing, and a few slow keys holding most of the
    // slots (skewed keys) cannot keep every partition paused.
    backpressured = inFlight >= maxInFlight || bytes >= maxBytes;
    // While full, partitions without a backlog keep fetching (into a backlog) so that each gets
    // its share of the room that frees up, until the backlogs are as large as the limits.
    boolean backlogFull = backlogRecords >= maxInFlight || backlogBytes >= maxBytes;
    boolean noDemand = publisher != null && publisher.capacity() <= 0;
    int perPartition = options.maxInFlightPerPartition();
    List<TopicPartition> toPause = null;
    List<TopicPartition> toResume = null;
    for (PartitionState s : states.values()) {
      if (s.notBeforeUntilNanos != 0 && now - s.notBeforeUntilNanos >= 0) {
        s.notBeforeUntilNanos = 0;
      }
      boolean want =
          closeRequested
              || (backpressured && backlogFull)
              || noDemand
              || s.outstanding >= perPartition
              || s.overCap
              || s.backlog != null
              || s.notBeforeUntilNanos != 0
              || userPaused.contains(s.tp);
      if (want != s.paused) {
        if (want) {
          (toPause == null ? toPause = new ArrayList<>() : toPause).add(s.tp);
        } else {
          (toResume == null ? toResume = new ArrayList<>() : toResume).add(s.tp);
        }
        s.paused = want;
      }
    }
    if (toPause != null) {
      consumer.pause(toPause);
    }
    if (toResume != null) {
      consumer.resume(toResume);
    }
  }

  // ---- commit ----

  private Map<TopicPartition, OffsetAndMetadata> collectCommits(Collection<PartitionState> ss) {
    Map<TopicPartition, OffsetAndMetadata> out = null;
    for (PartitionState s : ss) {
      long offset = s.tracker.commitOffset();
      if (offset < 0) {
        continue;
      }
      OffsetMetadataCodec.Encoded e = s.tracker.encode(options.offsetMetadataMaxChars());
      if (e.overflow() != s.overCap) {
        s.overCap = e.overflow();
        if (s.overCap) {
          LOG.warn("{}: too many out-of-order completions above offset {} for the commit metadata; "
              + "not taking new records from it until the gap closes", s.tp, offset);
        } else {
          LOG.info("{}: commit metadata fits again; resuming", s.tp);
        }
      }
      OffsetAndMetadata om = new OffsetAndMetadata(offset, e.metadata());
      if (!om.equals(s.lastCommitted)) {
        if (out == null) {
          out = new HashMap<>();
        }
        out.put(s.tp, om);
      }
    }
    return out == null ? Map.of() : out;
  }

  private void commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = collectCommits(states.values());
    if (offsets.isEmpty()) {
      return;
    }
    offsets.forEach((tp, om) -> states.get(tp).lastCommitted = om);
    long start = System.nanoTime();
    consumer.commitAsync(offsets, (committed, error) -> {
      if (error == null) {
        committed.forEach((tp, om) -> {
          if (states.containsKey(tp)) {
            committedView.put(tp, om.offset());
          }
        });
        metrics.commitLatency(System.nanoTime() - start);
      } else {
        LOG.warn("Async commit of {} failed; will retry: {}", name, error.toString());
        runtime.recordError(error);
        offsets.forEach((tp, om) -> {
          PartitionState s = states.get(tp);
          if (s != null && om.equals(s.lastCommitted)) {
            s.lastCommitted = null;
          }
        });
      }
    });
  }

  private void commitSync(Collection<PartitionState> ss) {
    Map<TopicPartition, OffsetAndMetadata> offsets = collectCommits(ss);
    if (offsets.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    try {
      consumer.commitSync(offsets, Duration.ofSeconds(30));
      metrics.commitLatency(System.nanoTime() - start);
      for (PartitionState s : ss) {
        OffsetAndMetadata om = offsets.get(s.tp);
        if (om != null) {
          s.lastCommitted = om;
          committedView.put(s.tp, om.offset());
        }
      }
    } catch (KafkaException e) {
      LOG.warn("Commit of {} failed: {}", name, e.toString());
      runtime.recordError(e);
    }
  }

  // ---- exactly-once ----

  private KafkaProducer<byte[], byte[]> newTransactionalProducer() {
    KafkaProducer<byte[], byte[]> p = Producers.create(options, transactionalId, transactionalId);
    try {
      p.initTransactions();
      p.beginTransaction();
    } catch (KafkaException e) {
      p.close(Duration.ZERO);
      throw new IllegalStateException("exactly-once: could not start a transactional producer with "
          + "transactional.id '" + transactionalId + "' at " + options.bootstrapServers() + ": " + e.getMessage()
          + ". Check that the brokers are reachable and support transactions (with a single broker, "
          + "transaction.state.log.replication.factor=1 and transaction.state.log.min.isr=1)", e);
    }
    return p;
  }

  private void closeTransactionalProducer() {
    KafkaProducer<byte[], byte[]> p = txProducer;
    if (p != null) {
      txProducer = null;
      try {
        p.close(Duration.ofSeconds(10)); // an open transaction is aborted by the broker
      } catch (RuntimeException e) {
        LOG.warn("{}: closing the transactional producer failed: {}", name, e.toString());
      }
    }
  }

  /**
   * Worker, exactly-once: hands the outputs of a finished record to the open transaction and
   * reports the record finished, both under the gate, so they commit or abort together. A record
   * whose assignment ended (revoked, lost, rewound) publishes nothing: it is processed again.
   */
  void publishFinished(Delivery<K, V> d, Worker w) {
    List<Delivery.Output> outputs = d.takeOutputs();
    gate.enter();
    try {
      KafkaProducer<byte[], byte[]> p = txProducer;
      if (d.state.detached || p == null) {
        Delivery.failOutputs(outputs, "its partition was revoked or its transaction aborted; it is processed again");
        w.dropped(d);
      } else {
        try {
          if (outputs != null) {
            for (Delivery.Output o : outputs) {
              p.send(o.record(), Delivery.completer(o.future()));
            }
          }
        } catch (RuntimeException e) {
          txnPoison = e; // the transaction aborts at its commit point and the records run again
          Delivery.failOutputs(outputs, e.toString());
        }
        w.finished(d);
      }
      w.flush();
    } finally {
      gate.exit();
    }
  }

  private void commitTransaction() {
    gate.close();
    try {
      commitTransactionGated(List.of());
    } finally {
      gate.open();
    }
  }

  /**
   * Gate closed: commits what finished (of the assigned partitions and {@code extra}) with their
   * outputs, or on any failure aborts and rewinds. Returns true if committed.
   */
  private boolean commitTransactionGated(Collection<PartitionState> extra) {
    applyCommands();
    Throwable poison = txnPoison;
    if (poison != null) {
      abortAndRewind(poison);
      return false;
    }
    Map<TopicPartition, PartitionState> all = new HashMap<>(states);
    for (PartitionState s : extra) {
      all.put(s.tp, s);
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = collectCommits(all.values());
    if (offsets.isEmpty()) {
      txnFinished = 0;
      return true;
    }
    long start = System.nanoTime();
    try {
      txProducer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      commitWithRetries();
    } catch (KafkaException e) {
      abortAndRewind(e);
      return false;
    }
    metrics.commitLatency(System.nanoTime() - start);
    offsets.forEach((tp, om) -> {
      all.get(tp).lastCommitted = om;
      if (states.containsKey(tp)) {
        committedView.put(tp, om.offset());
      }
    });
    txnFinished = 0;
    txProducer.beginTransaction();
    return true;
  }

  /** A commit that timed out may still complete: it is retried, never abandoned half-way. */
  private void commitWithRetries() {
    for (int attempt = 1; ; attempt++) {
      try {
        txProducer.commitTransaction();
        return;
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        if (attempt == 5) {
          throw e;
        }
        LOG.warn("{}: commitTransaction timed out (attempt {}); retrying", name, attempt);
      }
    }
  }

  /**
   * Gate closed: aborts the open transaction (or, if the producer cannot, replaces it: a new
   * producer with the same transactional id ends whatever its predecessor left open), then rewinds
   * every assigned partition to its committed offset as the broker has it, so records whose
   * outputs were discarded run again and nothing committed runs twice.
   */
  private void abortAndRewind(Throwable cause) {
    LOG.warn("{}: transaction failed, aborting it and processing again from the committed offsets: {}{}",
        name, cause.toString(), cause.getCause() == null ? "" : " (caused by " + cause.getCause() + ")");
    runtime.recordError(cause);
    boolean replace = cause instanceof org.apache.kafka.common.errors.ProducerFencedException
        || cause instanceof org.apache.kafka.common.errors.InvalidProducerEpochException;
    if (!replace) {
      try {
        txProducer.abortTransaction();
      } catch (KafkaException e) {
        replace = true;
      }
    }
    if (replace) {
      KafkaProducer<byte[], byte[]> old = txProducer;
      txProducer = null;
      old.close(Duration.ZERO);
      txProducer = newTransactionalProducer();
    } else {
      txProducer.beginTransaction();
    }
    txnPoison = null;
    txnFinished = 0;
    if (states.isEmpty()) {
      return;
    }
    for (PartitionState s : states.values()) {
      detach(s);
    }
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(
        new HashSet<>(states.keySet()), options.exactlyOnce().transactionTimeout().plusSeconds(30));
    for (PartitionState old : List.copyOf(states.values())) {
      OffsetAndMetadata om = committed.get(old.tp);
      PartitionState fresh = new PartitionState(old.tp, trackerFor(old.tp, om), om);
      fresh.paused = old.paused;
      fresh.firstFetched = old.firstFetched;
      states.put(old.tp, fresh);
      long to = om != null ? om.offset() : old.firstFetched;
      if (to >= 0) {
        consumer.seek(old.tp, to);
      }
    }
  }

  // ---- rebalance ----

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    groupMetadata = consumer.groupMetadata();
    if (partitions.isEmpty()) {
      return;
    }
    assignmentView = null;
    Map<TopicPartition, OffsetAndMetadata> committed;
    try {
      committed = consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(30));
    } catch (KafkaException e) {
      LOG.warn("{}: could not read committed offsets of {}; records done out of order before the "
          + "last commit may be processed again: {}", name, partitions, e.toString());
      committed = Map.of();
    }
    Set<TopicPartition> paused = consumer.paused();
    for (TopicPartition tp : partitions) {
      if (states.containsKey(tp)) {
        continue;
      }
      OffsetAndMetadata om = committed.get(tp);
      PartitionState s = new PartitionState(tp, trackerFor(tp, om), om);
      s.paused = paused.contains(tp);
      states.put(tp, s);
    }
    LOG.info("{}: assigned {}", name, partitions);
    publishSnapshot();
  }

  private OffsetTracker trackerFor(TopicPartition tp, OffsetAndMetadata om) {
    if (om == null) {
      return new OffsetTracker(-1, null);
    }
    OffsetMetadataCodec.Decoded decoded = OffsetMetadataCodec.decode(om.metadata());
    switch (decoded) {
      case OffsetMetadataCodec.Ours ours -> {
        if (ours.base() == om.offset()) {
          return new OffsetTracker(om.offset(), ours.finishedRanges());
        }
        LOG.warn("{}: commit metadata describes offset {} but the committed offset is {}; ignoring it",
            tp, ours.base(), om.offset());
      }
      case OffsetMetadataCodec.Foreign foreign -> {
        if (!foreignMetadataLogged) {
          foreignMetadataLogged = true;
          LOG.warn("{}: commit metadata was not written by Sagaflow ({}); ignoring it "
              + "(logged once per consumer)", tp, foreign.reason());
        }
      }
      case OffsetMetadataCodec.Empty empty -> { }
    }
    return new OffsetTracker(om.offset(), null);
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    revoke(partitions, true);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    revoke(partitions, false);
  }

  private void revoke(Collection<TopicPartition> partitions, boolean commit) {
    assignmentView = null;
    List<PartitionState> revoked = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      PartitionState s = states.remove(tp);
      if (s == null) {
        continue;
      }
      s.revoked = true;
      revoked.add(s);
      if (publisher != null) {
        long[] purged = publisher.purge(s);
        s.outstanding -= purged[0];
        s.outstandingBytes -= purged[1];
        runtime.inFlight.addAndGet(-purged[0]);
        runtime.bytes.addAndGet(-purged[1]);
      }
      for (Lane lane : s.lanes.values()) {
        lane.wake();
      }
    }
    if (revoked.isEmpty()) {
      return;
    }
    if (commit) {
      long deadline = System.nanoTime() + options.rebalanceTimeout().toNanos();
      if (closeRequested && closeDeadlineNanos - deadline < 0) {
        deadline = closeDeadlineNanos;
      }
      applyCommands();
      while (outstanding(revoked) > 0 && System.nanoTime() - deadline < 0) {
        LockSupport.parkNanos(1_000_000L);
        work.runners.checkStall();
        applyCommands();
      }
      long left = outstanding(revoked);
      if (left > 0) {
        LOG.warn("{}: {} records of revoked partitions still running after {}; their results are "
            + "discarded and the new owner processes them again", name, left, options.rebalanceTimeout());
      }
      if (exactlyOnce) {
        gate.close();
        try {
          commitTransactionGated(revoked);
          revoked.forEach(this::detach);
        } finally {
          gate.open();
        }
      } else if (options.commitStrategy() != CommitStrategy.NONE) {
        commitSync(revoked);
      }
    } else if (exactlyOnce) {
      // Lost: the generation is gone, this transaction can no longer commit its offsets. Abort it;
      // the partitions we still own rewind, as their outputs in it are gone too.
      gate.close();
      try {
        revoked.forEach(this::detach);
        abortAndRewind(new KafkaException("partitions " + partitions + " were lost"));
      } finally {
        gate.open();
      }
    }
    for (PartitionState s : revoked) {
      detach(s);
      committedView.remove(s.tp);
      metrics.removePartition(s.tp);
    }
    LOG.info("{}: {} {}", name, commit ? "revoked" : "lost", partitions);
    publishSnapshot();
  }

  private static long outstanding(Collection<PartitionState> ss) {
    long n = 0;
    for (PartitionState s : ss) {
      n += s.outstanding;
    }
    return n;
  }

  private void detach(PartitionState s) {
    s.revoked = true;
    s.detached = true;
    runtime.inFlight.addAndGet(-s.outstanding);
    runtime.bytes.addAndGet(-s.outstandingBytes);
    s.outstanding = 0;
    s.outstandingBytes = 0;
  }

  // ---- shutdown ----

  private void shutdown() {
    long deadline = closeDeadlineNanos;
    for (;;) {
      work.runners.checkStall();
      applyCommands();
      long now = System.nanoTime();
      if (outstanding(states.values()) == 0 || now - deadline >= 0) {
        break;
      }
      updatePauses(now);
      if (now - nextCommitNanos >= 0) {
        if (exactlyOnce) {
          commitTransaction();
        } else if (options.commitStrategy() != CommitStrategy.NONE) {
          commitAsync();
        }
        nextCommitNanos = now + options.commitInterval().toNanos();
      }
      // Keeps the membership alive and runs rebalance callbacks; nothing new is dispatched.
      long wait = work.runners.hasWaiting() ? 2 : 20;
      consumer.poll(Duration.ofMillis(Math.max(1, Math.min(wait, (deadline - now) / 1_000_000))));
    }
    long left = outstanding(states.values());
    aborted = true;
    wakeAll(left > 0);
    if (left > 0) {
      LOG.warn("{}: {} records still in flight after the shutdown timeout; they are not committed "
          + "and will be processed again", name, left);
    }
    applyCommands();
    for (PartitionState s : states.values()) {
      s.revoked = true;
    }
    if (exactlyOnce) {
      gate.close();
      try {
        commitTransactionGated(List.of());
        states.values().forEach(this::detach);
      } finally {
        gate.open();
      }
      closeTransactionalProducer();
    } else if (options.commitStrategy() != CommitStrategy.NONE) {
      commitSync(states.values());
    }
    for (PartitionState s : states.values()) {
      detach(s);
    }
    states.clear();
    publishSnapshot();
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
  }

  private void wakeAll(boolean interrupt) {
    for (PartitionState s : states.values()) {
      for (Lane lane : s.lanes.values()) {
        lane.wake();
        Thread t = lane.thread;
        if (interrupt && !lane.idle() && t != null) {
          t.interrupt();
        }
      }
    }
  }

  // ---- status ----

  private void publishSnapshot() {
    Set<TopicPartition> paused = new HashSet<>();
    for (PartitionState s : states.values()) {
      if (s.paused) {
        paused.add(s.tp);
      }
      if (metrics.enabled()) {
        consumer.currentLag(s.tp).ifPresent(lag -> metrics.lag(s.tp, lag));
      }
    }
    snapshot =
        new LoopSnapshot(
            Set.copyOf(states.keySet()),
            Set.copyOf(paused),
            Set.copyOf(userPaused),
            Map.copyOf(committedView));
  }

  ConsumerGroupMetadata groupMetadata() {
    return groupMetadata;
  }

  /**
   * The client id the consumer runs with: the configured one, else the one Kafka generated, which
   * every consumer metric carries as its {@code client-id} tag (public API, no reflection).
   */
  private String clientIdOf(KafkaConsumer<byte[], byte[]> c) {
    Object configured = consumerProps.get(ConsumerConfig.CLIENT_ID_CONFIG);
    if (configured != null && !configured.toString().isEmpty()) {
      return configured.toString();
    }
    for (org.apache.kafka.common.MetricName m : c.metrics().keySet()) {
      String id = m.tags().get("client-id");
      if (id != null && !id.isEmpty()) {
        return id;
      }
    }
    return "";
  }

  @Override
  public String toString() {
    return name;
  }
}
