package io.sagaflow.saga.internal;

import io.sagaflow.saga.ActionCodec;
import io.sagaflow.saga.ActionDecodingException;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plain topic consumer for sagas, a stand-in until sagas run on the Processor: swap it for a
 * Processor adapter around {@link SagaRunner} without touching the interpreter.
 *
 * <p>Design: one platform thread owns the {@link KafkaConsumer} (subscribe with a group). Each
 * record's transaction id is decoded on that thread; runs of one transaction are chained, others
 * run concurrently on virtual threads. Completions come back through a queue; per partition the
 * thread tracks offsets in flight and commits the lowest one still running (or the next one). A
 * failed saga or an undecodable record is written to the dead-letter topic with its original
 * bytes; the offset passes it only once that write was acknowledged (a failed write is retried).
 * At {@code maxInFlight} running sagas, fetched records wait in a local queue (at most one poll's
 * worth) and the thread pauses its partitions until there is room. On revoke and close it waits up to the
 * drain timeout for running sagas, then commits synchronously.
 */
public final class SimpleSagaConsumer<P> implements SagaConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(SimpleSagaConsumer.class);

  /** A finished record; an abandoned one (cancelled by shutdown) must not be committed past. */
  private record Done(TopicPartition partition, long offset, boolean abandoned) {}

  /** Offsets of one partition that were dispatched but not finished. */
  private static final class Offsets {
    final TreeSet<Long> running = new TreeSet<>();
    final TreeSet<Long> abandoned = new TreeSet<>();
    long next = -1;
    long committed = -1;

    long committable() {
      long c = running.isEmpty() ? next : running.first();
      return abandoned.isEmpty() ? c : Math.min(c, abandoned.first());
    }
  }

  private final String topic;
  private final Class<P> payloadType;
  private final Saga<P> saga;
  private final SagaConsumerOptions options;
  private final SagaRunner runner;
  private final ActionCodec codec;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> deadLetters;
  private final Thread thread;
  private final Map<TopicPartition, Offsets> offsets = new HashMap<>();
  private final LinkedBlockingQueue<Done> done = new LinkedBlockingQueue<>();
  private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
  private final Set<TopicPartition> pausedByUs = new HashSet<>();
  /** Fetched records waiting for room under maxInFlight, in fetch order. */
  private final java.util.ArrayDeque<ConsumerRecord<byte[], byte[]>> pending = new java.util.ArrayDeque<>();
  private int inFlight;
  private volatile boolean assigned;
  private volatile boolean closing;

  /**
   * A consumer; starts its thread.
   *
   * @param kafkaProperties raw client properties ({@code bootstrap.servers} at least)
   */
  public SimpleSagaConsumer(Map<String, Object> kafkaProperties, String topic, Class<P> payloadType, Saga<P> saga,
      SagaConsumerOptions options, SagaRunner runner, ActionCodec codec) {
    this.topic = topic;
    this.payloadType = payloadType;
    this.saga = saga;
    this.options = options;
    this.runner = runner;
    this.codec = codec;
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.putAll(kafkaProperties);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.putAll(kafkaProperties);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.consumer = new KafkaConsumer<>(c);
    this.deadLetters = new KafkaProducer<>(p);
    this.thread = Thread.ofPlatform().name("sagaflow-saga-consumer-" + topic).unstarted(this::loop);
    thread.start();
  }

  @Override
  public boolean isAssigned() {
    return assigned;
  }

  private void loop() {
    try {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          pending.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
          drainAndCommit(partitions);
          partitions.forEach(offsets::remove);
          pausedByUs.removeAll(partitions);
          assigned = !consumer.assignment().isEmpty();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          assigned = !consumer.assignment().isEmpty();
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
          pending.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
          partitions.forEach(offsets::remove);
          pausedByUs.removeAll(partitions);
        }
      });
      while (!closing) {
        applyCompletions();
        commit(false);
        while (!pending.isEmpty() && inFlight < options.maxInFlight()) {
          dispatch(pending.poll());
        }
        backpressure();
        try {
          // Keep polling while paused: it keeps the group membership alive and returns nothing.
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
            if (pending.isEmpty() && inFlight < options.maxInFlight()) {
              dispatch(record);
            } else {
              pending.add(record);
            }
          }
        } catch (WakeupException e) {
          // close() woke us.
        }
      }
      drainAndCommit(consumer.assignment());
    } catch (RuntimeException e) {
      LOG.error("the saga consumer of {} failed and stopped", topic, e);
    } finally {
      try {
        consumer.close();
      } finally {
        deadLetters.close(Duration.ofSeconds(10));
      }
    }
  }

  private void dispatch(ConsumerRecord<byte[], byte[]> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    Offsets o = offsets.computeIfAbsent(tp, k -> new Offsets());
    o.running.add(record.offset());
    o.next = Math.max(o.next, record.offset() + 1);
    inFlight++;
    String transactionId;
    try {
      transactionId = codec.decode(record).transactionId();
    } catch (ActionDecodingException e) {
      deadLetter(record, e).thenRun(() -> finished(tp, record.offset(), false));
      return;
    }
    CompletableFuture<Void> previous = tails.get(transactionId);
    CompletableFuture<Void> start = previous == null ? CompletableFuture.completedFuture(null)
        : previous.exceptionally(e -> null);
    CompletableFuture<Void> tail = start
        .thenCompose(v -> runner.run(saga, payloadType, record))
        .handle((v, e) -> {
          if (e == null) {
            finished(tp, record.offset(), false);
            return CompletableFuture.<Void>completedFuture(null);
          }
          if (closing && unwrap(e) instanceof io.sagaflow.saga.SagaCancelledException) {
            // Cancelled by shutdown, not failed: leave it uncommitted so the next owner reruns it.
            finished(tp, record.offset(), true);
            return CompletableFuture.<Void>completedFuture(null);
          }
          return deadLetter(record, unwrap(e)).thenRun(() -> finished(tp, record.offset(), false));
        })
        .thenCompose(f -> f);
    tails.put(transactionId, tail);
    tail.thenRun(() -> tails.remove(transactionId, tail));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  private void finished(TopicPartition tp, long offset, boolean abandoned) {
    done.add(new Done(tp, offset, abandoned));
  }

  /** Writes {@code record} to the dead-letter topic, retrying until acknowledged or closing. */
  private CompletableFuture<Void> deadLetter(ConsumerRecord<byte[], byte[]> record, Throwable error) {
    LOG.warn("dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
        options.deadLetterTopic(), error.toString());
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    headers.add("kafka_dlt-original-topic", record.topic().getBytes(StandardCharsets.UTF_8));
    headers.add("kafka_dlt-original-partition", ByteBuffer.allocate(4).putInt(record.partition()).array());
    headers.add("kafka_dlt-original-offset", ByteBuffer.allocate(8).putLong(record.offset()).array());
    headers.add("kafka_dlt-original-timestamp", ByteBuffer.allocate(8).putLong(record.timestamp()).array());
    headers.add("kafka_dlt-original-consumer-group", options.groupId().getBytes(StandardCharsets.UTF_8));
    headers.add("kafka_dlt-exception-fqcn", error.getClass().getName().getBytes(StandardCharsets.UTF_8));
    headers.add("kafka_dlt-exception-message", String.valueOf(error.getMessage()).getBytes(StandardCharsets.UTF_8));
    StringWriter trace = new StringWriter();
    error.printStackTrace(new PrintWriter(trace));
    headers.add("kafka_dlt-exception-stacktrace", trace.toString().getBytes(StandardCharsets.UTF_8));
    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(options.deadLetterTopic(), null, record.key(),
        record.value(), headers);
    CompletableFuture<Void> written = new CompletableFuture<>();
    Thread.ofVirtual().name("sagaflow-dead-letter").start(() -> {
      Duration backoff = Duration.ofMillis(100);
      while (!written.isDone()) {
        try {
          deadLetters.send(out).get();
          written.complete(null);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          if (closing) {
            LOG.error("giving up dead-lettering {}-{}@{} on close; it stays uncommitted", record.topic(),
                record.partition(), record.offset(), e);
            return;
          }
          LOG.error("dead-lettering {}-{}@{} failed; retrying in {}", record.topic(), record.partition(),
              record.offset(), backoff, e);
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException ie) {
            return;
          }
          backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
              : backoff.multipliedBy(2);
        }
      }
    });
    return written;
  }

  private void applyCompletions() {
    Done d;
    while ((d = done.poll()) != null) {
      apply(d);
    }
  }


  private void apply(Done d) {
    inFlight--;
    Offsets o = offsets.get(d.partition());
    if (o != null) {
      o.running.remove(d.offset());
      if (d.abandoned()) {
        o.abandoned.add(d.offset());
      }
    }
  }

  private void commit(boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    offsets.forEach((tp, o) -> {
      long c = o.committable();
      if (c > o.committed) {
        commits.put(tp, new OffsetAndMetadata(c));
        o.committed = c;
      }
    });
    if (commits.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(commits);
    } else {
      consumer.commitAsync(commits, (m, e) -> {
        if (e != null) {
          LOG.warn("committing saga offsets failed (a later commit covers them): {}", e.toString());
        }
      });
    }
  }

  private void backpressure() {
    if (inFlight >= options.maxInFlight() || !pending.isEmpty()) {
      Set<TopicPartition> toPause = new HashSet<>(consumer.assignment());
      toPause.removeAll(consumer.paused());
      consumer.pause(toPause);
      pausedByUs.addAll(toPause);
    } else if (!pausedByUs.isEmpty()) {
      consumer.resume(pausedByUs);
      pausedByUs.clear();
    }
  }

  /** Waits (bounded) for the runs of {@code partitions} to finish, then commits synchronously. */
  private void drainAndCommit(Collection<TopicPartition> partitions) {
    long deadline = System.nanoTime() + options.drainTimeout().toNanos();
    while (System.nanoTime() < deadline && partitions.stream()
        .map(offsets::get).anyMatch(o -> o != null && !o.running.isEmpty())) {
      try {
        Done d = done.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (d != null) {
          apply(d);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    applyCompletions();
    try {
      commit(true);
    } catch (RuntimeException e) {
      LOG.warn("committing saga offsets on drain failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    if (closing && !thread.isAlive()) {
      return;
    }
    closing = true;
    consumer.wakeup();
    try {
      thread.join(options.drainTimeout().plusSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
