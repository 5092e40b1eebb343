package io.sagaflow.processor;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of exactly-once processing ({@link ProcessorOptions#withExactlyOnce}).
 *
 * <p>Each consumer thread of the processor owns one transactional producer whose id is {@code
 * <transactionalIdPrefix>-<consumer index>}. Zombies are fenced by the consumer group (KIP-447):
 * the offsets go to the transaction with the consumer's current group metadata, so an instance that
 * lost its partitions cannot commit. Transactional ids therefore need not follow partitions; they
 * must only be unique among live instances.
 *
 * <p>The default prefix is the group id plus the processor's {@link
 * ProcessorOptions#withInstanceId instance id} when one is set, else plus a random suffix, unique
 * per instance. If an instance
 * dies with a transaction open, that transaction blocks {@code read_committed} readers of its
 * output partitions (and the new owner's offset fetch) until the broker times it out after {@link
 * #transactionTimeout()}. Give each instance a <em>stable</em> prefix of its own (a pod name, say)
 * and its restarted self aborts that transaction at once instead.
 *
 * @param transactionalIdPrefix prefix of the producers' transactional ids; unique per live instance
 * @param maxRecordsPerTransaction commit once this many records finished in the transaction (the
 *     processor's {@code commitInterval} bounds its duration as well)
 * @param transactionTimeout the producers' {@code transaction.timeout.ms}: how long a dead
 *     instance's open transaction can block readers (default 10 s, as in Kafka Streams)
 */
public record ExactlyOnce(String transactionalIdPrefix, int maxRecordsPerTransaction, Duration transactionTimeout) {

  public ExactlyOnce {
    if (transactionalIdPrefix != null && transactionalIdPrefix.isBlank()) {
      throw new IllegalArgumentException("transactionalIdPrefix must not be blank; pass null for the default");
    }
    if (maxRecordsPerTransaction <= 0) {
      throw new IllegalArgumentException("maxRecordsPerTransaction (" + maxRecordsPerTransaction + ") must be positive");
    }
    Objects.requireNonNull(transactionTimeout, "transactionTimeout");
    if (transactionTimeout.toMillis() < 1000) {
      throw new IllegalArgumentException("transactionTimeout (" + transactionTimeout + ") must be at least 1 s");
    }
  }

  /** A random prefix per instance, 10,000 records per transaction, 10 s transaction timeout. */
  public static ExactlyOnce defaults() {
    return new ExactlyOnce(null, 10_000, Duration.ofSeconds(10));
  }

  public ExactlyOnce withTransactionalIdPrefix(String v) {
    return new ExactlyOnce(Objects.requireNonNull(v, "transactionalIdPrefix"), maxRecordsPerTransaction, transactionTimeout);
  }

  public ExactlyOnce withMaxRecordsPerTransaction(int v) {
    return new ExactlyOnce(transactionalIdPrefix, v, transactionTimeout);
  }

  public ExactlyOnce withTransactionTimeout(Duration v) {
    return new ExactlyOnce(transactionalIdPrefix, maxRecordsPerTransaction, v);
  }
}
