package io.sagaflow.processor.internal;

import io.sagaflow.processor.Ordering;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns polled records into {@link Delivery}s on their lanes, within the limits. Poll thread only.
 *
 * <p>Design: each partition's polled records join its <em>backlog</em>; {@link #drainBacklogs()}
 * dispatches from the backlogs what fits under the limits (in flight, bytes, per partition,
 * publisher demand, commit-metadata cap) and leaves the rest there, its partition paused ({@link
 * Pauses}) until there is room. So no record is fetched twice (seeking back made a poll return
 * the same records dozens of times when handlers are slow), and the backlogs hold at most about
 * one poll's worth beyond the limits.
 *
 * <p>The room is shared fairly: first every partition with waiting records gets up to an equal
 * share of {@code maxInFlight} (counting what it already has in flight), then whatever room is
 * left goes round robin. Without the share, the partitions that happened to be polled first would
 * take every slot that frees up, and with a few slow keys holding slots (skewed keys) the other
 * partitions would make no progress, nor would their committed offsets.
 *
 * <p>A record whose not-before time is in the future is not taken: its partition is rewound to it
 * (seek), the rest of its backlog dropped, and the partition paused until it is due.
 *
 * <p>Records are routed by the ordering: one lane per partition ({@code PARTITION}, and batches),
 * per key ({@code KEY}) or per record ({@code UNORDERED}); lanes that become active in a pass are
 * handed to the {@link LaneScheduler} together at its end.
 */
final class Dispatcher<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
  private static final Object PARTITION_KEY = new Object();
  private static final Object NULL_KEY = new Object();

  private final PollLoop<K, V> loop;
  private final Consumer<byte[], byte[]> consumer;
  private final Assignment assignment;
  private final Pauses pauses;
  private final HandlerInvoker<K, V> invoker;
  private final RecordPublisher<K, V> publisher;
  private final Ticker ticker;
  private final AtomicLong inFlight;
  private final AtomicLong bytes;
  private final boolean batchMode;
  private final Ordering ordering;
  private final Function<ConsumerRecord<byte[], byte[]>, Instant> notBefore;
  private final int maxInFlight;
  private final long maxBytes;
  private final int perPartition;

  /** Partitions with a backlog, in the order they are next served, and the backlogs' size. */
  private final ArrayDeque<PartitionState> backlogged = new ArrayDeque<>();
  private long backlogRecords;
  private long backlogBytes;
  private Lane[] activated = new Lane[64];
  private int activatedCount;

  // ---- one dispatch pass ----
  private long passNowMillis;
  private Instant passNow;
  private ConsumerGroupMetadata passGroup;
  private Set<TopicPartition> passAssignment;
  private long passCapacity;
  private long passInFlight;
  private long passBytes;
  private long passAdded;
  private long passAddedBytes;

  Dispatcher(PollLoop<K, V> loop, LoopParts<K, V> parts, Pauses pauses, HandlerInvoker<K, V> invoker,
      RecordPublisher<K, V> publisher, boolean batchMode) {
    this.loop = loop;
    this.consumer = parts.consumer();
    this.assignment = parts.assignment();
    this.pauses = pauses;
    this.invoker = invoker;
    this.publisher = publisher;
    this.ticker = parts.ticker();
    this.inFlight = parts.runtime().inFlight;
    this.bytes = parts.runtime().bytes;
    this.batchMode = batchMode;
    this.ordering = parts.options().ordering();
    this.notBefore = parts.options().notBefore();
    this.maxInFlight = parts.options().maxInFlight();
    this.maxBytes = parts.options().maxBufferedBytes();
    this.perPartition = parts.options().maxInFlightPerPartition();
  }

  /** Records waiting in the backlogs. */
  long backlogRecords() {
    return backlogRecords;
  }

  /** Bytes waiting in the backlogs. */
  long backlogBytes() {
    return backlogBytes;
  }

  /**
   * Takes a poll's records: each partition's records join its backlog, then {@link
   * #drainBacklogs()} dispatches what fits.
   */
  void dispatch(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      PartitionState s = assignment.get(tp);
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

  /** Dispatches from the backlogs what now fits, fairly (see the class comment). */
  void drainBacklogs() {
    int n = backlogged.size();
    if (n == 0) {
      return;
    }
    beginPass();
    long share = Math.max(1, maxInFlight / n);
    serveBacklogs(share);
    if (passInFlight + passAdded < maxInFlight) {
      serveBacklogs(Long.MAX_VALUE);
    }
    endPass();
  }

  /** One round over the waiting partitions, each taking up to {@code share} in flight. */
  private void serveBacklogs(long share) {
    for (int i = 0, n = backlogged.size(); i < n; i++) {
      PartitionState s = backlogged.poll();
      if (s.backlog == null || s.detached || assignment.get(s.tp) != s) {
        dropBacklog(s);
        continue;
      }
      long room = share - s.outstanding; // share is Long.MAX_VALUE in the last round: no overflow
      if (room > 0 && !pauses.userPaused(s.tp)) {
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
    long n = 0;
    for (int i = from; i < list.size(); i++) {
      n += Delivery.sizeOf(list.get(i));
    }
    return n;
  }

  private void beginPass() {
    passNowMillis = ticker.currentTimeMillis();
    passNow = notBefore == null ? null : Instant.ofEpochMilli(passNowMillis);
    passGroup = consumer.groupMetadata();
    passAssignment = assignment.view();
    passCapacity = publisher != null ? publisher.capacity() : Long.MAX_VALUE;
    passInFlight = inFlight.get();
    passBytes = bytes.get();
    passAdded = 0;
    passAddedBytes = 0;
  }

  private void endPass() {
    inFlight.addAndGet(passAdded);
    bytes.addAndGet(passAddedBytes);
    if (activatedCount > 0) {
      invoker.scheduler.executeAll(activated, activatedCount);
      Arrays.fill(activated, 0, activatedCount, null);
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
        break; // Pauses pauses the partition while its backlog waits
      }
      if (notBefore != null) {
        Instant due = dueTime(rec);
        if (due != null && due.isAfter(passNow)) {
          consumer.seek(s.tp, offset); // not due yet: fetched again when it is
          long waitNanos = Duration.between(passNow, due).toNanos();
          s.notBeforeUntilNanos = ticker.nanoTime() + Math.max(1, waitNanos);
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
      Delivery<K, V> d = new Delivery<>(rec, s, loop, passNowMillis, passGroup, passAssignment, size);
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
          lane = new Lane(s, invoker);
          s.lanes.put(key, lane);
        }
        activate(lane, d);
      }
      case UNORDERED -> {
        Lane lane = new Lane(s, invoker);
        s.lanes.put(lane, lane);
        activate(lane, d);
      }
    }
  }

  private void activate(Lane lane, Object item) {
    if (lane.submit(item)) {
      if (activatedCount == activated.length) {
        activated = Arrays.copyOf(activated, activated.length * 2);
      }
      activated[activatedCount++] = lane;
    }
  }

  private Lane partitionLane(PartitionState s) {
    Lane lane = s.partitionLane;
    if (lane == null) {
      lane = new Lane(s, invoker);
      s.partitionLane = lane;
      s.lanes.put(PARTITION_KEY, lane);
    }
    return lane;
  }
}
