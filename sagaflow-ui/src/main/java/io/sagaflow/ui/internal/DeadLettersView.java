package io.sagaflow.ui.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.recovery.DeadLetter;
import io.sagaflow.recovery.DeadLetterFilter;
import io.sagaflow.recovery.DeadLetterHeaders;
import io.sagaflow.recovery.DeadLetters;
import io.sagaflow.recovery.DeadLettersOptions;
import io.sagaflow.recovery.ReplayListener;
import io.sagaflow.recovery.ReplaySummary;
import io.sagaflow.recovery.ReplayTarget;
import io.sagaflow.saga.SagaConsumerOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Header;

/**
 * Dead letters with their headers decoded, and replays of a filtered set through
 * {@link DeadLetters#replay} (the code of {@code sagaflow dlq replay}) to each letter's original
 * topic. A replay runs on its own thread; the page polls its progress. One replay at a time.
 */
final class DeadLettersView implements AutoCloseable {
  /** How many letters a listing returns at most. */
  static final int MAX_LETTERS = 500;

  private final KafkaCluster cluster;
  private final DeadLetters letters;
  private final Duration timeout;
  private final Map<Long, Replay> replays = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private volatile Thread running;

  DeadLettersView(KafkaCluster cluster, Duration timeout) {
    this.cluster = cluster;
    this.timeout = timeout;
    this.letters = DeadLetters.create(DeadLettersOptions.of(cluster.options()).withTimeout(timeout));
  }

  /** The dead-letter topics: those named {@code *-dlt}. */
  List<String> topics() throws Exception {
    return cluster.admin().listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream()
        .filter(t -> t.endsWith(SagaConsumerOptions.DEAD_LETTER_SUFFIX)).sorted().toList();
  }

  static DeadLetterFilter filter(String exception, String key) {
    DeadLetterFilter f = DeadLetterFilter.all();
    if (exception != null && !exception.isBlank()) {
      f = f.withException(exception.trim());
    }
    if (key != null && !key.isEmpty()) {
      f = f.withKey(key);
    }
    return f;
  }

  ObjectNode list(String topic, DeadLetterFilter filter) throws Exception {
    if (!topics().contains(topic)) {
      throw new IllegalArgumentException("there is no dead-letter topic " + topic
          + " (dead-letter topics end with " + SagaConsumerOptions.DEAD_LETTER_SUFFIX + ")");
    }
    List<DeadLetter> found = letters.list(topic, filter);
    ObjectNode out = Json.object();
    out.put("topic", topic);
    out.put("matched", found.size());
    out.put("shown", Math.min(found.size(), MAX_LETTERS));
    ArrayNode array = out.putArray("letters");
    found.stream().limit(MAX_LETTERS).forEach(l -> array.add(render(l)));
    return out;
  }

  private static ObjectNode render(DeadLetter l) {
    DeadLetterHeaders h = l.info();
    ObjectNode n = Json.object();
    n.put("partition", l.partition());
    n.put("offset", l.offset());
    n.put("timestamp", Instant.ofEpochMilli(l.timestamp()).toString());
    n.put("key", Json.preview(l.key()));
    n.put("value", Json.preview(l.value()));
    n.put("originalTopic", h.originalTopic());
    n.put("originalPartition", h.originalPartition());
    n.put("originalOffset", h.originalOffset());
    n.put("originalTimestamp", h.originalTimestamp() == null ? null : Instant.ofEpochMilli(h.originalTimestamp()).toString());
    n.put("consumerGroup", h.consumerGroup());
    n.put("exceptionClass", h.exceptionClass());
    n.put("exceptionCauseClass", h.exceptionCauseClass());
    n.put("exceptionMessage", Json.cut(h.exceptionMessage()));
    n.put("stackTrace", h.stackTrace() == null ? null : h.stackTrace().length() > 20_000
        ? h.stackTrace().substring(0, 20_000) + "…" : h.stackTrace());
    n.put("keyFailure", h.keyFailure());
    n.put("attempts", h.attempts());
    n.put("failedAt", h.failedAt() == null ? null : h.failedAt().toString());
    ArrayNode headers = n.putArray("otherHeaders");
    for (Header header : l.headers()) {
      if (!header.key().startsWith("kafka_dlt-") && !header.key().startsWith("sagaflow")) {
        headers.addObject().put("name", header.key()).put("value", Json.preview(header.value()));
      }
    }
    return n;
  }

  /** Starts a replay of {@code topic}'s letters matching {@code filter}; returns its id. */
  synchronized long replay(String topic, DeadLetterFilter filter) throws Exception {
    Thread t = running;
    if (t != null && t.isAlive()) {
      throw new IllegalArgumentException("a replay is already running; wait for it to finish");
    }
    if (!topics().contains(topic)) {
      throw new IllegalArgumentException("there is no dead-letter topic " + topic);
    }
    long id = ids.incrementAndGet();
    Replay replay = new Replay(id, topic, filter);
    replays.put(id, replay);
    running = Thread.ofPlatform().name("sagaflow-ui-replay-" + id).daemon().start(replay::run);
    return id;
  }

  ObjectNode progress(long id) {
    Replay r = replays.get(id);
    if (r == null) {
      throw new IllegalArgumentException("there is no replay " + id);
    }
    return r.render();
  }

  @Override
  public void close() {
    Thread t = running;
    if (t != null) {
      try {
        t.join(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** One replay and its progress, updated by its thread, read by the page. */
  private final class Replay implements ReplayListener {
    final long id;
    final String topic;
    final DeadLetterFilter filter;
    volatile long total = -1;
    volatile long seen;
    volatile ReplaySummary soFar = new ReplaySummary(0, 0, 0, 0, 0, false);
    volatile boolean done;
    volatile String error;

    Replay(long id, String topic, DeadLetterFilter filter) {
      this.id = id;
      this.topic = topic;
      this.filter = filter;
    }

    void run() {
      try {
        total = letters.list(topic, filter).size();
        soFar = letters.replay(topic, filter, ReplayTarget.original(), false, this);
      } catch (RuntimeException e) {
        error = "the replay stopped: " + JournalIndex.rootMessage(e)
            + " (letters reported as replayed stay replayed; replaying again skips them)";
      } finally {
        done = true;
      }
    }

    @Override
    public void onRecord(DeadLetter letter, Outcome outcome, ReplaySummary summary) {
      seen++;
      soFar = summary;
    }

    ObjectNode render() {
      ObjectNode n = Json.object();
      ReplaySummary s = soFar;
      n.put("id", id);
      n.put("topic", topic);
      n.put("total", total);
      n.put("seen", seen);
      n.put("replayed", s.replayed());
      n.put("skipped", s.skippedAlreadyReplayed());
      n.put("failed", s.failed());
      n.put("done", done);
      n.put("error", error);
      return n;
    }
  }
}
