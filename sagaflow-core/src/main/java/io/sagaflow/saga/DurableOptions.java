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
 * @param maxWaitingSagas the most unfinished sagas a consumer holds at once (running, waiting for a
 *     reply or a timer, or evicted) before fetching input pauses; a journaled saga holds no input
 *     record in flight, so this bound, not {@link SagaConsumerOptions#maxInFlight()}, limits
 *     waiting sagas. An evicted saga counts too: it still holds its journal (about a kilobyte) and
 *     a registration for its replies
 * @param commitInterval the least time between the starts of two journal transactions (default
 *     5 ms). One transaction at a time carries every saga's journal updates, puts and input offsets
 *     queued since the last one (group commit); the next starts once it has committed and this
 *     much time has passed since it started. Each step of a saga that waits for a reply waits for
 *     one transaction, so a shorter interval means lower latency and more, smaller transactions: at
 *     500 three-step sagas/s, 5 ms gave about 150 transactions/s and a p50 of 33 ms, 15 ms about
 *     62/s and 49 ms (BENCHMARKS.md, "Session 13"). Under load transactions run back to back
 *     whatever the interval, so it does not limit throughput
 * @param evictIdleAfter how long a saga may sit idle in memory before it is evicted, or
 *     {@code null} to keep every saga resident; see {@link #withEvictIdleAfter}
 * @param instanceId this process's stable identity in the group, or {@code null} (see
 *     {@link #withInstanceId})
 */
public record DurableOptions(String journalTopic, int maxWaitingSagas, Duration commitInterval,
    Duration evictIdleAfter, String instanceId) {

  /**
   * The default {@link #evictIdleAfter()}: one minute. A request-reply saga's take is answered in
   * milliseconds to seconds, so it never pays for a rebuild; a saga still idle after a minute
   * waits for a person, another system's batch or a timer, and is likely to wait far longer, so
   * keeping it as its journal instead of a parked thread (with its stack, channels and
   * subscriptions) is where the memory goes back.
   */
  public static final Duration DEFAULT_EVICT_IDLE_AFTER = Duration.ofMinutes(1);

  /** The default {@link #commitInterval()}: 5 ms (see the record component's description). */
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(5);

  /** Settings that evict idle sagas after {@link #DEFAULT_EVICT_IDLE_AFTER}, with no instance id. */
  public DurableOptions(String journalTopic, int maxWaitingSagas, Duration commitInterval) {
    this(journalTopic, maxWaitingSagas, commitInterval, DEFAULT_EVICT_IDLE_AFTER, null);
  }

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
    if (evictIdleAfter != null && (evictIdleAfter.isNegative() || evictIdleAfter.isZero())) {
      throw new IllegalArgumentException("evictIdleAfter (" + evictIdleAfter + ") must be positive; use"
          + " withoutEviction() to keep every saga resident");
    }
  }

  /**
   * The default journal topic, at most 100,000 waiting sagas, a commit at most every 5 ms, idle
   * sagas evicted after a minute.
   */
  public static DurableOptions defaults() {
    return new DurableOptions(null, 100_000, DEFAULT_COMMIT_INTERVAL, DEFAULT_EVICT_IDLE_AFTER, null);
  }

  /** The journal topic of a consumer in {@code groupId}: the one set, else {@code <groupId>-saga-journal}. */
  public String journalTopicFor(String groupId) {
    return journalTopic != null ? journalTopic : groupId + JOURNAL_SUFFIX;
  }

  /** These settings with another journal topic ({@code null}: {@code <groupId>-saga-journal}). */
  public DurableOptions withJournalTopic(String topic) {
    return new DurableOptions(topic, maxWaitingSagas, commitInterval, evictIdleAfter, instanceId);
  }

  /** These settings with another bound on waiting sagas (resident or evicted). */
  public DurableOptions withMaxWaitingSagas(int max) {
    return new DurableOptions(journalTopic, max, commitInterval, evictIdleAfter, instanceId);
  }

  /** These settings with another group-commit interval. */
  public DurableOptions withCommitInterval(Duration interval) {
    return new DurableOptions(journalTopic, maxWaitingSagas, interval, evictIdleAfter, instanceId);
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
   * within the session timeout, it gets its partitions back without a rebalance; and its two
   * journal producers' {@code transactional.id}s are {@code <groupId>-saga-journal-<instanceId>}
   * and {@code <groupId>-saga-journal2-<instanceId>}: starting them aborts the transaction its
   * previous incarnation left open, at once. Two live processes with
   * the same id fence each other: give each its own.
   */
  public DurableOptions withInstanceId(String id) {
    return new DurableOptions(journalTopic, maxWaitingSagas, commitInterval, evictIdleAfter, id);
  }

  /**
   * These settings with another idle time before eviction. A saga is <em>idle</em> while every one
   * of its threads (its own, and those of its {@code all} and {@code race} branches) is blocked in
   * a take or a delay (or waits for branches that are), with nothing of it left to write to the
   * journal. One idle for {@code idle} is evicted: its virtual thread is stopped without journaling
   * anything, as a crash would stop it, and the consumer keeps only its journal (as bytes), a
   * registration for replies of its transaction on the reply topics it subscribed to, and a timer
   * entry for its earliest pending delay or race deadline. A reply for it, or that deadline,
   * rebuilds it exactly as a new owner resumes a saga after a crash: its code replays from the
   * journal, then reads its reply topics from the journaled positions (skipping replies its
   * journaled takes returned) and goes on live. So no reply is lost or delivered twice across an
   * eviction, and a delay ends at its deadline. An evicted saga is not counted in
   * {@link SagaConsumer#residentSagas()}, but is in {@link #maxWaitingSagas()}.
   *
   * <p>A rebuild costs a replay of the journal and one read of the reply topics from where they
   * stood when the saga subscribed: prefer an idle time well above the usual reply time.
   *
   * <p>With eviction on, a partition's restore (after a crash or a rebalance) replays each waiting
   * saga's code against its journal without performing anything; one that stops at the take or
   * delay it waited in is left evicted instead of rebuilt, and one read of the reply topics wakes
   * those a reply arrived for meanwhile: a new owner needs no more heap for waiting sagas than the
   * old one did (a wait in an {@code all} or {@code race} of takes and delays counts too).
   *
   * @param idle positive; {@link #DEFAULT_EVICT_IDLE_AFTER} by default
   * @throws IllegalArgumentException when not positive
   */
  public DurableOptions withEvictIdleAfter(Duration idle) {
    return new DurableOptions(journalTopic, maxWaitingSagas, commitInterval, Objects.requireNonNull(idle, "idle"),
        instanceId);
  }

  /** These settings keeping every saga resident until it ends (no eviction of idle sagas). */
  public DurableOptions withoutEviction() {
    return new DurableOptions(journalTopic, maxWaitingSagas, commitInterval, null, instanceId);
  }
}
