package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorRecord;
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
      ConsumerGroupMetadata groupMetadata) {
    this.raw = raw;
    this.state = state;
    this.loop = loop;
    this.receivedAtMillis = receivedAtMillis;
    this.groupMetadata = groupMetadata;
    this.bytes = Math.max(0, raw.serializedKeySize()) + Math.max(0, raw.serializedValueSize());
  }

  /** Deserializes key and value once; throws what the user's deserializer throws. */
  void deserialize(Deserializer<K> kd, Deserializer<V> vd) {
    if (!deserialized) {
      key = kd.deserialize(raw.topic(), raw.headers(), raw.key());
      value = vd.deserialize(raw.topic(), raw.headers(), raw.value());
      deserialized = true;
    }
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
  public ConsumerRecord<byte[], byte[]> raw() {
    return raw;
  }

  @Override
  public void ack() {
    if (loop.finishOnAck && claimFinish()) {
      loop.enqueue(new Command.Ack(this));
    }
  }

  @Override
  public String toString() {
    return "ProcessorRecord[" + raw.topic() + "-" + raw.partition() + "@" + raw.offset() + "]";
  }
}
