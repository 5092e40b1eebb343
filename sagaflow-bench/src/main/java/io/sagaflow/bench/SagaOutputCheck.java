package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;

/**
 * The independent checker of {@code chaos sagas}: a {@code read_committed} reader of the request
 * and output topics, from their beginning, counting each put by (transaction id, step), on a thread
 * of its own while the scenario runs. It knows nothing of the saga consumers but the wire format.
 *
 * <p>A request's payload is its step (1 or 2); an output's payload is the saga's index. The
 * record timestamp of a saga's first output is kept for the timer check.
 */
final class SagaOutputCheck implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String requestTopic;
  private final ActionCodec codec = ActionCodec.create();
  private final Map<String, int[]> requests = new HashMap<>(); // tx -> puts of step 1 and step 2
  private final Map<String, Integer> outputs = new HashMap<>();
  private final Map<String, Long> outputAt = new HashMap<>();
  private final Thread thread;
  private volatile boolean closing;
  private long undecodable;

  SagaOutputCheck(String bootstrap, String requestTopic, String outputTopic) {
    this.requestTopic = requestTopic;
    this.consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed",
        "enable.auto.commit", false, "client.id", "chaos-sagas-checker"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : List.of(requestTopic, outputTopic)) {
      partitionsOf(consumer, t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    this.thread = Thread.ofPlatform().daemon().name("chaos-sagas-checker").start(this::loop);
  }

  /**
   * The partitions of a topic just created. A broker learns of a new topic a moment after the
   * controller created it, and until then answers that it does not exist (an empty list): a reader
   * assigned to none of the output's partitions would count no saga as completed.
   */
  private static List<PartitionInfo> partitionsOf(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (;;) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      if (infos != null && !infos.isEmpty()) {
        return infos;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new IllegalStateException("the checker found no partitions of " + topic + " within 30 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // metadata again; not a synchronisation
    }
  }

  private void loop() {
    try {
      while (!closing) {
        var records = consumer.poll(Duration.ofMillis(200));
        synchronized (this) {
          records.forEach(this::count);
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // finish or close
    }
  }

  private void count(ConsumerRecord<byte[], byte[]> r) {
    Action<?> a;
    try {
      a = codec.decode(r);
    } catch (RuntimeException e) {
      undecodable++;
      return;
    }
    String tx = a.transactionId();
    int value = codec.convert(a, Integer.class).payload();
    if (r.topic().equals(requestTopic)) {
      int[] steps = requests.computeIfAbsent(tx, k -> new int[3]);
      steps[Math.max(0, Math.min(2, value))]++;
    } else {
      if (outputs.merge(tx, 1, Integer::sum) == 1) {
        outputAt.put(tx, r.timestamp());
      }
    }
  }

  /** How many of {@code sagas} have an output so far. */
  synchronized int completed(Set<String> sagas) {
    int n = 0;
    for (String tx : outputs.keySet()) {
      if (sagas.contains(tx)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Stops the reader once it has read everything committed: waits (up to {@code timeout}) until it
   * stands at the last stable offset of every partition, read after the saga JVMs stopped.
   */
  Report finish(Set<String> sagas, boolean threeStep, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean caughtUp = false;
    Map<TopicPartition, Long> end;
    synchronized (this) {
      closing = true;
      consumer.wakeup();
    }
    thread.join(10_000);
    end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30)); // read_committed: stable offsets
    while (System.nanoTime() < deadline) {
      caughtUp = end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
      if (caughtUp) {
        break;
      }
      try {
        consumer.poll(Duration.ofMillis(200)).forEach(this::count);
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        // the wakeup meant for the loop
      }
    }
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    synchronized (this) {
      long duplicates = 0;
      Set<String> done = new HashSet<>();
      for (Map.Entry<String, Integer> e : outputs.entrySet()) {
        duplicates += e.getValue() - 1;
        if (sagas.contains(e.getKey())) {
          done.add(e.getKey());
        }
      }
      long missingRequests = 0;
      long requestPuts = 0;
      for (Map.Entry<String, int[]> e : requests.entrySet()) {
        int[] s = e.getValue();
        requestPuts += s[0] + s[1] + s[2];
        duplicates += Math.max(0, s[1] - 1) + Math.max(0, s[2] - 1) + s[0];
      }
      if (threeStep) {
        for (String tx : done) {
          int[] s = requests.get(tx);
          if (s == null || s[1] == 0 || s[2] == 0) {
            missingRequests++;
          }
        }
      }
      return new Report(done, duplicates, missingRequests, requestPuts, Map.copyOf(outputAt), undecodable, caughtUp);
    }
  }

  /**
   * What the checker read: the sagas with an output, duplicate puts (a second output of a
   * transaction, a second request of a step), completed sagas missing a request, each saga's first
   * output time.
   */
  record Report(Set<String> completed, long duplicatePuts, long missingRequests, long requestPuts,
      Map<String, Long> outputAt,
      long undecodable, boolean caughtUp) {}

  @Override
  public void close() {
    closing = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!thread.isAlive()) {
      try {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
      } catch (IllegalStateException e) {
        // already closed by finish
      }
    }
  }

  static String utf8(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
