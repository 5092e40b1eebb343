package io.sagaflow.saga;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a durable saga consumer ({@link SagaConsumerOptions#durable()}): its sagas are
 * journaled in a Kafka topic, so they survive a crash (even {@code kill -9}) without repeating a
 * put, may wait for days, and resume on whichever instance of the group owns their partition.
 *
 * <pre>{@code
 * SagaConsumerOptions simple = SagaConsumerOptions.of("orders").durable();   // journal: orders-saga-journal
 * SagaConsumerOptions tuned = SagaConsumerOptions.of("orders")
 *     .withDurable(DurableOptions.defaults().withJournalTopic("orders-journal").withMaxWaitingSagas(50_000));
 * }</pre>
 *
 * @param journalTopic the journal topic, or {@code null} for {@code <groupId>-saga-journal} (see
 *     {@link #journalTopicFor}); it is created compacted, with the input topic's partition count
 *     (a saga started by input partition p journals to journal partition p)
 * @param maxWaitingSagas the most sagas resident at once (running or waiting for a reply or a
 *     timer) before fetching input pauses; a journaled saga holds no input record in flight, so
 *     this bound, not {@link SagaConsumerOptions#maxInFlight()}, limits waiting sagas
 * @param commitInterval how often the journal writer commits one Kafka transaction carrying every
 *     saga's journal updates, puts and input offsets queued since the last one (group commit)
 * @param instanceId this process's stable identity in the group, or {@code null} (see
 *     {@link #withInstanceId})
 */
public record DurableOptions(String journalTopic, int maxWaitingSagas, Duration commitInterval, String instanceId) {

  /** The suffix of the default journal topic: {@code <groupId>-saga-journal}. */
  public static final String JOURNAL_SUFFIX = "-saga-journal";

  /** Validates. */
  public DurableOptions {
    if (journalTopic != null && journalTopic.isBlank()) {
      throw new IllegalArgumentException("journalTopic must not be blank; pass null for <groupId>-saga-journal");
    }
    if (maxWaitingSagas <= 0) {
      throw new IllegalArgumentException("maxWaitingSagas (" + maxWaitingSagas + ") must be positive");
    }
    Objects.requireNonNull(commitInterval, "commitInterval");
    if (commitInterval.isNegative() || commitInterval.isZero() || commitInterval.compareTo(Duration.ofSeconds(5)) > 0) {
      throw new IllegalArgumentException("commitInterval (" + commitInterval + ") must be positive and at most 5 s");
    }
    if (instanceId != null && (instanceId.isBlank() || !instanceId.matches("[A-Za-z0-9._-]{1,100}"))) {
      throw new IllegalArgumentException("instanceId '" + instanceId + "' must be 1 to 100 letters, digits, '.', '_'"
          + " or '-' (for example the pod name of a StatefulSet); pass null for none");
    }
  }

  /** The default journal topic, at most 100,000 resident sagas, a commit every 15 ms. */
  public static DurableOptions defaults() {
    return new DurableOptions(null, 100_000, Duration.ofMillis(15), null);
  }

  /** The journal topic of a consumer in {@code groupId}: the one set, else {@code <groupId>-saga-journal}. */
  public String journalTopicFor(String groupId) {
    return journalTopic != null ? journalTopic : groupId + JOURNAL_SUFFIX;
  }

  /** These settings with another journal topic ({@code null}: {@code <groupId>-saga-journal}). */
  public DurableOptions withJournalTopic(String topic) {
    return new DurableOptions(topic, maxWaitingSagas, commitInterval, instanceId);
  }

  /** These settings with another bound on resident sagas. */
  public DurableOptions withMaxWaitingSagas(int max) {
    return new DurableOptions(journalTopic, max, commitInterval, instanceId);
  }

  /** These settings with another group-commit interval. */
  public DurableOptions withCommitInterval(Duration interval) {
    return new DurableOptions(journalTopic, maxWaitingSagas, interval, instanceId);
  }

  /**
   * These settings with a stable identity for this process, the same across its restarts and
   * unique in the group (for example a StatefulSet's pod name), for a fast restart after a crash.
   *
   * <p>Without one, a process killed with {@code kill -9} holds its partitions until its group
   * session times out ({@code session.timeout.ms}, 45 s by default), and a journal transaction it
   * left open blocks {@code read_committed} readers of the partitions it wrote to until the broker
   * aborts it (the transaction timeout, 15 s here, plus the broker's check interval). With one, the
   * consumer is a static member of the group ({@code group.instance.id = <instanceId>}): restarted
   * within the session timeout, it gets its partitions back without a rebalance; and its journal
   * producer's {@code transactional.id} is {@code <groupId>-saga-journal-<instanceId>}: starting
   * it aborts the transaction its previous incarnation left open, at once. Two live processes with
   * the same id fence each other: give each its own.
   */
  public DurableOptions withInstanceId(String id) {
    return new DurableOptions(journalTopic, maxWaitingSagas, commitInterval, id);
  }
}
