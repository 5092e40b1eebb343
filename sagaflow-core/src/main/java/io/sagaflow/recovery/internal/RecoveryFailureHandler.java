package io.sagaflow.recovery.internal;

import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.WriteFailures;

import io.sagaflow.processor.FailedRecord;
import io.sagaflow.processor.FailureDecision;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryHealth;
import io.sagaflow.tracing.Tracing;
import io.sagaflow.recovery.RecoveryListener;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RecoveryPublishException;
import io.sagaflow.recovery.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides the fate of a failed record and carries it out.
 *
 * <p>Design note. Per call: (1) a retryable error whose attempt is below {@code inPlaceAttempts}
 * gets {@code retryAfter(backoff)} and nothing is written; (2) otherwise the record's origin and
 * tier are read from its headers; a retryable error below the last tier is written to the next
 * retry topic with a due time, anything else to the dead-letter topic of the origin topic; (3) in an
 * at-least-once processor the write is sent without waiting and the decision is {@code
 * doneWhen(ack)}: the worker goes on, writes of many failed records share producer batches, and the
 * processor finishes the record (its offset may be committed) only once the copy is acknowledged;
 * outside a processor the write blocks until acked, then {@code done()}. A failed write marks health
 * DOWN and throws (or fails the stage), so the processor keeps the record and calls again; the next
 * successful write marks health UP. In an exactly-once processor (3) is the processor's: the copy
 * goes through the record's {@code send}, {@code done()} returns at once, and the processor writes
 * the copy in a transaction of its own before it finishes the record; the send's future brings the
 * verdict (DOWN naming the topic, the broker's error and the fix; or UP), and on a rejection the
 * processor calls again. Tiers and origin live in the record's headers, so the same handler serves
 * the source topic and every retry topic, and survives restarts without local state.
 */
public final class RecoveryFailureHandler implements RecoveryHandler {
  private static final Logger log = LoggerFactory.getLogger(RecoveryFailureHandler.class);

  private final RecoveryOptions options;
  private final RetryPolicy policy;
  private final RecoveryPublisher publisher;
  /** Creates missing retry and dead-letter topics; null when they must exist. */
  private final TopicAdministrator topics;
  private final Clock clock;
  private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();

  /**
   * @param topics creates missing retry and dead-letter topics (with the source topic's partition
   *     count), or {@code null} when they must exist; closed with this handler
   */
  public RecoveryFailureHandler(RecoveryOptions options, RecoveryPublisher publisher, TopicAdministrator topics) {
    this.options = options;
    this.policy = options.policy();
    this.publisher = publisher;
    this.topics = topics;
    this.clock = options.clock();
  }

  @Override
  public FailureDecision onFailure(FailedRecord failed) throws RecoveryPublishException {
    ConsumerRecord<byte[], byte[]> record = failed.raw();
    Throwable error = failed.error();
    boolean retryable = policy.isRetryable(error);
    if (retryable && failed.attempt() < policy.inPlaceAttempts()) {
      notify(l -> l.onInPlaceRetry(record.topic(), failed.attempt(), error));
      return FailureDecision.retryAfter(backoff(failed.attempt()));
    }
    Origin origin = Origin.of(record);
    int attempts = origin.previousAttempts() + failed.attempt();
    Instant now = clock.instant();
    Duration timeout = options.publishTimeout();
    String group = failed.groupId() != null ? failed.groupId() : options.groupId();
    if (retryable && origin.tier() < policy.retryTopicDelays().size()) {
      int tier = origin.tier() + 1;
      String topic = policy.retryTopic(origin.topic(), tier);
      Instant due = now.plus(policy.retryTopicDelays().get(tier - 1));
      return publish(failed, topic, "retry topic", origin, partition -> RecoveryRecords.retry(record, origin, error,
          topic, partition, tier, attempts, due, options.maxStackTraceBytes()), timeout,
          () -> notify(l -> l.onRetryScheduled(origin.topic(), tier, topic)));
    }
    String topic = policy.deadLetterTopic(origin.topic());
    return publish(failed, topic, "dead-letter topic", origin, partition -> RecoveryRecords.deadLetter(record, origin,
        error, group, topic, partition, attempts, now, options.maxStackTraceBytes()), timeout,
        () -> notify(l -> l.onDeadLettered(origin.topic(), topic, error)));
  }

  private interface RecordBuilder {
    ProducerRecord<byte[], byte[]> build(Integer partition);
  }

  /**
   * Writes the copy and returns the decision: inside an at-least-once processor {@code doneWhen}
   * the ack (the worker goes on; the processor finishes the record, and may commit its offset, once
   * the copy is acknowledged); in an exactly-once processor {@code done()} at once, the processor
   * writing the copy in a transaction of its own; outside a processor {@code done()} after a
   * blocking write. {@code written} tells the listener once the copy is written.
   */
  private FailureDecision publish(FailedRecord failed, String topic, String kind, Origin origin,
      RecordBuilder builder, Duration timeout, Runnable written) throws RecoveryPublishException {
    try {
      if (topics != null) {
        topics.ensureCompanionTopics(origin.topic(), List.of(topic));
      }
      int partitions = publisher.partitionCount(topic, timeout);
      // Keep the origin partition when the target has it: records of one partition stay together.
      Integer partition = origin.partition() >= 0 && origin.partition() < partitions ? origin.partition() : null;
      ProducerRecord<byte[], byte[]> copy = builder.build(partition);
      if (failed.record() != null && failed.record().transactional()) {
        // Exactly-once processor: it writes the copy in a transaction of its own first and commits
        // it with the record's offset; a topic that rejects it holds back this record only. The
        // future says how it went (after this returns done()).
        failed.record().send(copy).whenComplete((md, e) -> transactionalOutcome(topic, kind, origin, copy, e, written));
        return FailureDecision.done();
      }
      Tracing.Span span = options.tracing().send(kind.startsWith("dead") ? "dead-letter" : "retry", copy);
      if (failed.record() != null) {
        CompletionStage<?> acked = publisher.publishAsync(copy, timeout);
        return FailureDecision.doneWhen(acked.handle((ok, error) -> {
          span.end(error);
          if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            throw new CompletionException(failure(topic, origin, cause instanceof Exception e ? e
                : new IllegalStateException(cause)));
          }
          writtenAgain(topic);
          written.run();
          return null;
        }));
      }
      try {
        publisher.publish(copy, timeout);
      } catch (Exception e) {
        span.end(e);
        throw e;
      }
      span.end(null);
    } catch (Exception e) {
      throw failure(topic, origin, e);
    }
    writtenAgain(topic);
    written.run();
    return FailureDecision.done();
  }

  /** Records a failed write (health DOWN) and says what failed and what to check. */
  private RecoveryPublishException failure(String topic, Origin origin, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    lastFailure.set(e);
    notify(l -> l.onPublishFailed(topic, e));
    return new RecoveryPublishException("could not write failed record " + origin.topic() + "-"
        + origin.partition() + "@" + origin.offset() + " to " + topic + " (" + why(e)
        + "); the record stays unfinished and will be retried. Check that " + topic
        + " exists or can be created and that the producer may write to it", e);
  }

  /**
   * Exactly-once: the processor's verdict on a copy sent through the record. Rejected: health DOWN,
   * naming the topic, the broker's error and the fix (the processor keeps the record and calls this
   * handler again with backoff). Written: health UP. Cancelled: the record was given up (revoked,
   * closing), which says nothing about the topic.
   */
  private void transactionalOutcome(String topic, String kind, Origin origin, ProducerRecord<byte[], byte[]> copy,
      Throwable error, Runnable written) {
    if (error instanceof CancellationException) {
      return;
    }
    if (error != null) {
      RecoveryPublishException e = new RecoveryPublishException(kind + " " + WriteFailures.explain(topic, error,
          WriteFailures.size(copy)) + ". Failed record " + origin.topic() + "-" + origin.partition() + "@"
          + origin.offset() + " stays unfinished (only its key or partition waits) and is written once "
          + topic + " accepts it", WriteFailures.root(error));
      lastFailure.set(e);
      notify(l -> l.onPublishFailed(topic, e));
      return;
    }
    writtenAgain(topic);
    written.run();
  }

  private void writtenAgain(String topic) {
    if (lastFailure.getAndSet(null) != null) {
      log.info("recovery publishing to {} works again; health UP", topic);
    }
  }

  @Override
  public void createTopics(String sourceTopic) throws RecoveryPublishException {
    List<String> all = new ArrayList<>(policy.retryTopics(sourceTopic));
    all.add(policy.deadLetterTopic(sourceTopic));
    if (topics == null) {
      return;
    }
    for (String topic : all) {
      try {
        topics.ensureCompanionTopics(sourceTopic, List.of(topic));
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new RecoveryPublishException("could not create " + topic + " for " + sourceTopic + ": " + why(e), e);
      }
    }
  }

  /** The failure in words: for a rejected login or certificate, which cluster and what to check. */
  private String why(Exception e) {
    return ConnectionFailures.find(e).map(c -> ConnectionFailures.message(options.cluster(), c)).orElse(e.toString());
  }

  private Duration backoff(int attempt) {
    if (options.random() == null) {
      return policy.backoff(attempt, ThreadLocalRandom.current());
    }
    synchronized (options.random()) {
      return policy.backoff(attempt, options.random());
    }
  }

  private void notify(Consumer<RecoveryListener> call) {
    try {
      call.accept(options.listener());
    } catch (RuntimeException e) {
      log.warn("recovery listener failed; ignored", e);
    }
  }

  @Override
  public RecoveryHealth health() {
    return lastFailure.get() == null ? RecoveryHealth.UP : RecoveryHealth.DOWN;
  }

  @Override
  public Optional<Throwable> lastPublishFailure() {
    return Optional.ofNullable(lastFailure.get());
  }

  @Override
  public void close() {
    try {
      publisher.close();
    } finally {
      if (topics != null) {
        topics.close();
      }
    }
  }
}
