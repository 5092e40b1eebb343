package io.sagaflow.processor.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.nio.ByteBuffer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;

import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.tracing.Tracing;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;

/** A fetched record on its way through the processor; the {@link ProcessorRecord} users see. */
final class Delivery<K, V> implements ProcessorRecord<K, V> {
  private static final VarHandle FINISHED;

  static {
    try {
      FINISHED = MethodHandles.lookup().findVarHandle(Delivery.class, "finished", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final ConsumerRecord<byte[], byte[]> raw;
  final PartitionState state;
  final PollLoop<K, V> loop;
  final int bytes;
  private final long receivedAtMillis;
  private final ConsumerGroupMetadata groupMetadata;
  private final Set<TopicPartition> assignment;
  /** Written by the worker before each handler call, read by the handler on the same thread. */
  int attempt = 1;
  /** The last failure of the handler, for the record's span (written and read on its handler thread). */
  Throwable tracedError;
  private K key;
  private V value;
  private boolean deserialized;
  @SuppressWarnings("unused") // accessed through FINISHED
  private volatile int finished;

  Delivery(
      ConsumerRecord<byte[], byte[]> raw,
      PartitionState state,
      PollLoop<K, V> loop,
      long receivedAtMillis,
      ConsumerGroupMetadata groupMetadata,
      Set<TopicPartition> assignment,
      int bytes) {
    this.raw = raw;
    this.state = state;
    this.loop = loop;
    this.receivedAtMillis = receivedAtMillis;
    this.groupMetadata = groupMetadata;
    this.assignment = assignment;
    this.bytes = bytes;
  }

  /** The key if it was deserialized, else null (for reports of failures). */
  K keyIfDeserialized() {
    return deserialized ? key : null;
  }

  /**
   * Deserializes key and value once. A failure is thrown as Kafka's {@link
   * RecordDeserializationException} saying whether the key or the value failed (with the user's
   * exception as its cause), so that the failure handler can tell a poison pill from a failed
   * handler and dead-letter it with the right headers.
   */
  void deserialize(Deserializer<K> kd, Deserializer<V> vd) {
    if (!deserialized) {
      K k;
      try {
        k = kd.deserialize(raw.topic(), raw.headers(), raw.key());
      } catch (RuntimeException e) {
        throw poison(RecordDeserializationException.DeserializationExceptionOrigin.KEY, e);
      }
      V v;
      try {
        v = vd.deserialize(raw.topic(), raw.headers(), raw.value());
      } catch (RuntimeException e) {
        throw poison(RecordDeserializationException.DeserializationExceptionOrigin.VALUE, e);
      }
      key = k;
      value = v;
      deserialized = true;
    }
  }

  private RecordDeserializationException poison(
      RecordDeserializationException.DeserializationExceptionOrigin origin, RuntimeException cause) {
    return new RecordDeserializationException(origin, new TopicPartition(raw.topic(), raw.partition()),
        raw.offset(), raw.timestamp(), raw.timestampType(),
        raw.key() == null ? null : ByteBuffer.wrap(raw.key()),
        raw.value() == null ? null : ByteBuffer.wrap(raw.value()), raw.headers(),
        "cannot deserialize the " + origin.name().toLowerCase(java.util.Locale.ROOT) + " of " + raw.topic()
            + "-" + raw.partition() + "@" + raw.offset() + ": " + cause.getMessage(), cause);
  }

  /** Claims the right to finish this record; true exactly once (ack or a done decision). */
  boolean claimFinish() {
    return FINISHED.compareAndSet(this, 0, 1);
  }

  @Override
  public String topic() {
    return raw.topic();
  }

  @Override
  public int partition() {
    return raw.partition();
  }

  @Override
  public long offset() {
    return raw.offset();
  }

  @Override
  public K key() {
    return key;
  }

  @Override
  public V value() {
    return value;
  }

  @Override
  public Headers headers() {
    return raw.headers();
  }

  @Override
  public long timestamp() {
    return raw.timestamp();
  }

  @Override
  public TimestampType timestampType() {
    return raw.timestampType();
  }

  @Override
  public Instant receivedAt() {
    return Instant.ofEpochMilli(receivedAtMillis);
  }

  @Override
  public ConsumerGroupMetadata groupMetadata() {
    return groupMetadata;
  }

  @Override
  public String clientId() {
    return loop.clientId;
  }

  @Override
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public ConsumerRecord<byte[], byte[]> raw() {
    return raw;
  }

  @Override
  public void ack() {
    if (loop.finishOnAck && claimFinish()) {
      loop.enqueue(new Command.Ack(this));
    }
  }

  // ---- outputs ----

  /** A send waiting for the transaction (exactly-once) or for its ack (at-least-once). */
  record Output(ProducerRecord<byte[], byte[]> record, CompletableFuture<RecordMetadata> future) {}

  private List<Output> outputs;

  @Override
  public CompletableFuture<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    Objects.requireNonNull(record, "record");
    CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
    Tracing tracing = loop.options.tracing();
    if (tracing != Tracing.none()) {
      Tracing.Span span = tracing.send("send", record); // writes its context into the record's headers
      future.whenComplete((md, e) -> span.end(e));
    }
    if (!loop.exactlyOnce) {
      loop.sharedProducer().send(record, completer(future)); // at once; awaited before the record finishes
    }
    synchronized (this) {
      (outputs == null ? outputs = new ArrayList<>(2) : outputs).add(new Output(record, future));
    }
    return future;
  }

  @Override
  public boolean transactional() {
    return loop.exactlyOnce;
  }

  /** Serialized key plus value bytes: what the in-flight byte bound counts. */
  static int sizeOf(ConsumerRecord<byte[], byte[]> raw) {
    return Math.max(0, raw.serializedKeySize()) + Math.max(0, raw.serializedValueSize());
  }

  static Callback completer(CompletableFuture<RecordMetadata> future) {
    return (metadata, error) -> {
      if (error == null) {
        future.complete(metadata);
      } else {
        future.completeExceptionally(error);
      }
    };
  }

  /** Whether a send of this attempt (or of its failure handler) waits to be published. */
  synchronized boolean hasOutputs() {
    return outputs != null && !outputs.isEmpty();
  }

  /** Takes the outputs of the attempt that just ran (null if none). */
  synchronized List<Output> takeOutputs() {
    List<Output> o = outputs;
    outputs = null;
    return o;
  }

  /**
   * Before an attempt: discards what an earlier, failed attempt left (exactly-once: never sent;
   * at-least-once: already sent, nothing to undo).
   */
  void discardOutputs(Throwable why) {
    List<Output> o = takeOutputs();
    if (loop.exactlyOnce) {
      failOutputs(o, "the handler attempt that made it failed (" + why + ")");
    }
  }

  /** Completes never-sent outputs exceptionally, saying why. */
  static void failOutputs(List<Output> outputs, String why) {
    if (outputs != null) {
      for (Output out : outputs) {
        out.future.completeExceptionally(new IllegalStateException("not sent: " + why));
      }
    }
  }

  /** At-least-once: waits until every send of this attempt is acknowledged; throws the first failure. */
  void awaitOutputs() throws Exception {
    List<Output> o = takeOutputs();
    if (o == null) {
      return;
    }
    for (Output out : o) {
      try {
        out.future.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    }
  }

  @Override
  public String toString() {
    return "ProcessorRecord[" + raw.topic() + "-" + raw.partition() + "@" + raw.offset() + "]";
  }
}
