package io.sagaflow.saga.internal;

import io.sagaflow.saga.SagaCancelledException;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.internal.journal.JournalCodec;
import io.sagaflow.saga.internal.journal.ReplyPosition;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catch-up of the runs one restore left evicted ({@link Evictions#restoreEvicted}): it looks
 * for replies that reached their reply topics while no owner was running, and wakes the runs they
 * are for.
 *
 * <p>Design. Each such run was subscribed to the router for live replies before this starts, so
 * every reply at or past the end offsets read here reaches it live. What lies before them is read
 * once for the whole restore, not once per run: each partition of the runs' reply topics from the
 * lowest journaled position among them to the end offsets. A reply of one of the runs, at or past
 * its own journaled position, that none of its journaled takes returned ({@link TakenReplies}, as
 * for {@link JournalWriter#consumedAlready}) wakes it; so does a partition for which its journal
 * holds no position (its own catch-up then reads that partition
 * from the time of its last effect, see {@link DurableReplies}). A woken run is resumed as any
 * evicted run is, and its own catch-up delivers the reply: nothing is delivered here, so nothing
 * is delivered twice, and a needless wake costs a rebuild, no more. The read runs on a platform
 * thread of its own and waits out a slow cluster; {@link #cancel} (a revocation, a close) stops it.
 * Should it fail otherwise, it wakes every run it had not looked at yet: rebuilt in memory, they
 * catch up one by one, as they did before restores left runs evicted.
 */
final class RestoreCatchUp {
  private static final Logger LOG = LoggerFactory.getLogger(SagaConsumer.class);

  /** A run restored into the evicted state, as the catch-up sees it. */
  static final class Run {
    final String transactionId;
    final Set<String> topics;
    final Map<TopicPartition, Long> positions = new HashMap<>();
    /** The replies its journaled takes returned, each excusing one equal reply. */
    final TakenReplies consumed = new TakenReplies();

    Run(SagaJournal journal, Set<String> topics, JournalCodec codec) {
      this.transactionId = journal.transactionId();
      this.topics = Set.copyOf(topics);
      for (ReplyPosition p : journal.replyPositions()) {
        positions.merge(new TopicPartition(p.topic(), p.partition()), p.offset(), Math::min);
      }
      journal.entries().forEach(e -> consumed.add(e, codec));
    }
  }

  private final int partition;
  private final DurableReplies replies;
  private final List<Run> runs;
  private final Consumer<String> wake;
  private Thread thread;

  /**
   * @param partition the input partition restored
   * @param runs the runs it left evicted
   * @param wake wakes the run of a transaction id (called on the catch-up's thread)
   */
  RestoreCatchUp(int partition, DurableReplies replies, List<Run> runs, Consumer<String> wake) {
    this.partition = partition;
    this.replies = replies;
    this.runs = List.copyOf(runs);
    this.wake = wake;
  }

  int partition() {
    return partition;
  }

  /** Starts the read on a thread of its own; {@code done} runs on that thread when it has ended. */
  void start(Runnable done) {
    // A platform thread: a Kafka client's I/O on a virtual thread would start the JDK's poller threads for good.
    thread = Thread.ofPlatform().daemon().name("sagaflow-restore-catch-up-" + partition).start(() -> {
      try {
        run();
      } finally {
        done.run();
      }
    });
  }

  /** Stops the read and waits up to 5 s for its thread. */
  void cancel() {
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    Map<String, Run> waiting = new HashMap<>();
    runs.forEach(r -> waiting.put(r.transactionId, r));
    try {
      Set<String> topics = new HashSet<>();
      runs.forEach(r -> topics.addAll(r.topics));
      Map<TopicPartition, Long> ends = replies.endOffsets(topics);
      Map<TopicPartition, Long> from = new HashMap<>();
      for (Run r : runs) {
        List<TopicPartition> mine = ends.keySet().stream().filter(tp -> r.topics.contains(tp.topic())).toList();
        if (mine.stream().allMatch(r.positions::containsKey)) {
          mine.forEach(tp -> from.merge(tp, r.positions.get(tp), Math::min));
        } else {
          waiting.remove(r.transactionId);
          wake.accept(r.transactionId);
        }
      }
      replies.scan(from, ends, "the replies of " + runs.size() + " sagas restored as evicted", (record, reply) -> {
        Run r = waiting.get(reply.transactionId());
        if (r == null || !r.topics.contains(record.topic())) {
          return;
        }
        Long position = r.positions.get(new TopicPartition(record.topic(), record.partition()));
        if (position != null && record.offset() >= position && !r.consumed.crossOff(reply)) {
          waiting.remove(r.transactionId);
          wake.accept(r.transactionId);
        }
      });
    } catch (SagaCancelledException e) {
      // revoked or closed: the runs are forgotten with their partition
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        return; // cancelled inside a Kafka client: as above
      }
      LOG.warn("cannot read the replies that arrived for {} sagas restored as evicted; rebuilding them in memory,"
          + " each catches up itself: {}", waiting.size(), e.toString());
      waiting.keySet().forEach(wake);
    }
  }
}
