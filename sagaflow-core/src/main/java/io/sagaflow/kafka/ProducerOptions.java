package io.sagaflow.kafka;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of a Sagaflow producer. Every producer is idempotent with {@code acks=all}; these are
 * the settings that matter for throughput and latency, typed, and anything else passed through.
 *
 * @param linger how long to wait for more records to batch ({@code linger.ms})
 * @param batchSize bytes per partition batch ({@code batch.size})
 * @param compression {@code none}, {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd}
 * @param partitioner a {@code org.apache.kafka.clients.producer.Partitioner} class name, or
 *     {@code null} for Kafka's default (key hash)
 * @param deliveryTimeout how long a send may take, retries included ({@code delivery.timeout.ms})
 * @param properties other producer properties, passed as they are
 */
public record ProducerOptions(
    Duration linger,
    int batchSize,
    String compression,
    String partitioner,
    Duration deliveryTimeout,
    Map<String, String> properties) {
  private static final Set<String> COMPRESSION = Set.of("none", "gzip", "snappy", "lz4", "zstd");
  private static final Set<String> FIXED = Set.of("acks", "enable.idempotence");

  /** Validates every value, naming the setting. */
  public ProducerOptions {
    Objects.requireNonNull(linger, "linger");
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger (" + linger + ") must not be negative");
    }
    if (batchSize < 0) {
      throw new IllegalArgumentException("batchSize (" + batchSize + ") must not be negative");
    }
    if (!COMPRESSION.contains(compression)) {
      throw new IllegalArgumentException(
          "compression (" + compression + ") must be one of " + new java.util.TreeSet<>(COMPRESSION));
    }
    Objects.requireNonNull(deliveryTimeout, "deliveryTimeout");
    if (deliveryTimeout.isNegative() || deliveryTimeout.isZero()) {
      throw new IllegalArgumentException("deliveryTimeout (" + deliveryTimeout + ") must be positive");
    }
    properties = Map.copyOf(Objects.requireNonNull(properties, "properties"));
    for (String key : FIXED) {
      if (properties.containsKey(key)) {
        throw new IllegalArgumentException(key + " cannot be overridden: Sagaflow producers are"
            + " always idempotent with acks=all, so that a retried send never duplicates or loses a record");
      }
    }
  }

  /** 5 ms linger, 64 KiB batches, lz4, Kafka's partitioner, 2-minute delivery timeout. */
  public static ProducerOptions defaults() {
    return new ProducerOptions(Duration.ofMillis(5), 64 * 1024, "lz4", null, Duration.ofMinutes(2), Map.of());
  }

  public ProducerOptions withLinger(Duration linger) {
    return new ProducerOptions(linger, batchSize, compression, partitioner, deliveryTimeout, properties);
  }

  public ProducerOptions withBatchSize(int batchSize) {
    return new ProducerOptions(linger, batchSize, compression, partitioner, deliveryTimeout, properties);
  }

  public ProducerOptions withCompression(String compression) {
    return new ProducerOptions(linger, batchSize, compression, partitioner, deliveryTimeout, properties);
  }

  public ProducerOptions withPartitioner(String partitionerClassName) {
    return new ProducerOptions(linger, batchSize, compression, partitionerClassName, deliveryTimeout, properties);
  }

  public ProducerOptions withDeliveryTimeout(Duration deliveryTimeout) {
    return new ProducerOptions(linger, batchSize, compression, partitioner, deliveryTimeout, properties);
  }

  /** Adds one raw producer property. */
  public ProducerOptions withProperty(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(properties);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new ProducerOptions(linger, batchSize, compression, partitioner, deliveryTimeout, copy);
  }

  /** Every setting, with passwords and other secrets of the raw properties redacted. */
  @Override
  public String toString() {
    return "ProducerOptions[linger=" + linger + ", batchSize=" + batchSize + ", compression=" + compression
        + ", partitioner=" + partitioner + ", deliveryTimeout=" + deliveryTimeout
        + ", properties=" + io.sagaflow.kafka.internal.Redaction.redact(properties) + "]";
  }

  /** The Kafka producer properties these options stand for. */
  public Map<String, Object> toProperties() {
    Map<String, Object> p = new LinkedHashMap<>(properties);
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", Long.toString(linger.toMillis()));
    p.put("batch.size", Integer.toString(batchSize));
    p.put("compression.type", compression);
    if (partitioner != null) {
      p.put("partitioner.class", partitioner);
    }
    long delivery = deliveryTimeout.toMillis();
    p.put("delivery.timeout.ms", Long.toString(delivery));
    // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
    p.putIfAbsent("request.timeout.ms", Long.toString(Math.min(30_000, Math.max(1, delivery - linger.toMillis()))));
    return p;
  }
}
