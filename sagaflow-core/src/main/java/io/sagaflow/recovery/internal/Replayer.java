package io.sagaflow.recovery.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;

import static io.sagaflow.recovery.RecoveryHeaders.*;

import io.sagaflow.recovery.DeadLetter;
import io.sagaflow.recovery.DeadLetterFilter;
import io.sagaflow.recovery.RecoveryListener;
import io.sagaflow.recovery.ReplayListener;
import io.sagaflow.recovery.ReplayListener.Outcome;
import io.sagaflow.recovery.ReplaySummary;
import io.sagaflow.recovery.ReplayTarget;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies dead letters back to a target, each exactly once per (dead-letter topic, target).
 *
 * <p>Design note. A replay ledger topic ({@code <dlt>-replayed}, compacted, one partition) records
 * which letters were copied to which target: key {@code <target topic>|<partition>|<offset>}. Each
 * copy and its ledger entry are written in one Kafka transaction, so either both are visible
 * ({@code read_committed}) or neither is; there is no window between "copied" and "remembered".
 * Before copying, the ledger is read in full; letters found there are skipped. The transactional id
 * is fixed per (dead-letter topic, target), so a second replay of the same pair started while one
 * runs fences the first one instead of racing it. A ledger (instead of a consumer group's committed
 * offset) keeps replays with different filters independent: a letter skipped by one filter is still
 * replayable by another, and never twice.
 */
public final class Replayer {
  private static final Logger log = LoggerFactory.getLogger(Replayer.class);
  private static final Set<String> RETRY_CONTROL_HEADERS = Set.of(RETRY_TIER, RETRY_DUE, ORIGIN_TOPIC,
      ORIGIN_PARTITION, ORIGIN_OFFSET, ORIGIN_TIMESTAMP, ORIGIN_TIMESTAMP_TYPE, REPLAYED_FROM);

  private final ClusterOptions cluster;
  private final Map<String, Object> clientProperties;
  private final Duration timeout;
  private final RecoveryListener metrics;
  private final TopicScanner scanner;

  public Replayer(ClusterOptions cluster, Map<String, Object> clientProperties, Duration timeout,
      RecoveryListener metrics) {
    this.cluster = cluster;
    this.clientProperties = clientProperties;
    this.timeout = timeout;
    this.metrics = metrics;
    this.scanner = new TopicScanner(cluster, clientProperties, timeout);
  }

  static String ledgerTopic(String dltTopic) {
    return dltTopic + "-replayed";
  }

  public ReplaySummary replay(String dltTopic, DeadLetterFilter filter, ReplayTarget target, boolean dryRun,
      ReplayListener listener) {
    try {
      return replayOnce(dltTopic, filter, target, dryRun, listener);
    } catch (RuntimeException e) {
      Optional<IllegalStateException> clear = ConnectionFailures.explain(cluster, e);
      if (clear.isPresent()) {
        throw clear.get();
      }
      throw e;
    }
  }

  private ReplaySummary replayOnce(String dltTopic, DeadLetterFilter filter, ReplayTarget target, boolean dryRun,
      ReplayListener listener) {
    String ledger = ledgerTopic(dltTopic);
    if (!dryRun) {
      ensureLedger(ledger);
    }
    Set<String> done = readLedger(ledger, dryRun);
    Counts counts = new Counts(dryRun);
    if (dryRun) {
      scanner.scan(dltTopic, r -> {
        DeadLetter letter = DeadLetter.of(r);
        counts.scanned++;
        if (!filter.matches(letter)) {
          return;
        }
        counts.matched++;
        String targetTopic = targetTopic(letter, target);
        Outcome outcome;
        if (targetTopic == null) {
          counts.failed++;
          outcome = Outcome.FAILED;
        } else if (done.contains(ledgerKey(targetTopic, letter))) {
          counts.skipped++;
          outcome = Outcome.SKIPPED_ALREADY_REPLAYED;
        } else {
          counts.replayed++;
          outcome = Outcome.WOULD_REPLAY;
        }
        listener.onRecord(letter, outcome, counts.summary());
      });
      return counts.summary();
    }
    try (KafkaProducer<byte[], byte[]> producer = transactionalProducer(dltTopic, target)) {
      producer.initTransactions();
      Map<String, Integer> partitionCounts = new HashMap<>();
      scanner.scan(dltTopic, r -> {
        DeadLetter letter = DeadLetter.of(r);
        counts.scanned++;
        if (!filter.matches(letter)) {
          return;
        }
        counts.matched++;
        String targetTopic = targetTopic(letter, target);
        Outcome outcome;
        if (targetTopic == null) {
          log.warn("dead letter {} has no {} header; replay it to a named topic", letter.coordinates(),
              DLT_ORIGINAL_TOPIC);
          counts.failed++;
          outcome = Outcome.FAILED;
        } else if (done.contains(ledgerKey(targetTopic, letter))) {
          counts.skipped++;
          outcome = Outcome.SKIPPED_ALREADY_REPLAYED;
        } else if (copy(producer, letter, targetTopic, target, ledger, partitionCounts)) {
          done.add(ledgerKey(targetTopic, letter));
          counts.replayed++;
          outcome = Outcome.REPLAYED;
          try {
            metrics.onReplayed(dltTopic, targetTopic);
          } catch (RuntimeException e) {
            log.warn("recovery listener failed; ignored", e);
          }
        } else {
          counts.failed++;
          outcome = Outcome.FAILED;
        }
        listener.onRecord(letter, outcome, counts.summary());
      });
    }
    return counts.summary();
  }

  private boolean copy(KafkaProducer<byte[], byte[]> producer, DeadLetter letter, String targetTopic,
      ReplayTarget target, String ledger, Map<String, Integer> partitionCounts) {
    int partitions = partitionCounts.computeIfAbsent(targetTopic, t -> {
      try {
        return producer.partitionsFor(t).size();
      } catch (KafkaException e) {
        // Every later letter for this target would wait as long: stop with a clear message instead.
        throw new IllegalStateException("replay target topic " + t + " does not exist or is not reachable ("
            + e + "); create it or replay to another topic with --to", e);
      }
    });
    int originalPartition = letter.info().originalPartition();
    Integer partition = target.isOriginal() && originalPartition >= 0 && originalPartition < partitions
        ? originalPartition : null;
    Headers headers = new RecordHeaders();
    for (Header h : letter.headers()) {
      if (!RETRY_CONTROL_HEADERS.contains(h.key())) {
        headers.add(h.key(), h.value());
      }
    }
    headers.add(REPLAYED_FROM, letter.coordinates().getBytes(StandardCharsets.UTF_8));
    producer.beginTransaction();
    try {
      producer.send(new ProducerRecord<>(targetTopic, partition, null, letter.key(), letter.value(), headers));
      producer.send(new ProducerRecord<>(ledger, 0, ledgerKey(targetTopic, letter).getBytes(StandardCharsets.UTF_8),
          letter.coordinates().getBytes(StandardCharsets.UTF_8)));
      producer.commitTransaction();
      return true;
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
      throw new IllegalStateException("replay of " + letter.topic() + " stopped: " + e
          + (e instanceof ProducerFencedException ? " (another replay of the same topic and target started)" : ""), e);
    } catch (KafkaException e) {
      log.warn("could not replay dead letter {} to {}; counted as failed", letter.coordinates(), targetTopic, e);
      try {
        producer.abortTransaction();
      } catch (KafkaException abortFailed) {
        e.addSuppressed(abortFailed);
        throw new IllegalStateException("replay of " + letter.topic() + " stopped: could not write to " + targetTopic
            + " nor abort the transaction (" + abortFailed + "); re-run it when the cluster is healthy", e);
      }
      return false;
    }
  }

  private static String targetTopic(DeadLetter letter, ReplayTarget target) {
    return target.isOriginal() ? letter.info().originalTopic() : target.topic();
  }

  private static String ledgerKey(String targetTopic, DeadLetter letter) {
    return targetTopic + "|" + letter.partition() + "|" + letter.offset();
  }

  private Set<String> readLedger(String ledger, boolean mayBeMissing) {
    Set<String> done = new HashSet<>();
    try {
      scanner.scan(ledger, r -> done.add(new String(r.key(), StandardCharsets.UTF_8)));
    } catch (IllegalArgumentException missing) {
      if (!mayBeMissing) {
        throw missing;
      }
    }
    return done;
  }

  private void ensureLedger(String ledger) {
    try (Admin admin = KafkaClients.admin(cluster, "dlq-replay-admin",
        KafkaClients.known(clientProperties, KafkaClients.adminKeys()))) {
      NewTopic topic = new NewTopic(ledger, Optional.of(1), Optional.empty())
          .configs(Map.of("cleanup.policy", "compact"));
      admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        ConnectionFailures.explain(cluster, e.getCause()).ifPresent(clear -> {
          throw clear;
        });
        throw new IllegalStateException("could not create replay ledger topic " + ledger + ": " + e.getCause()
            + "; create it (1 partition, cleanup.policy=compact) or grant the replaying client CreateTopics", e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating " + ledger, e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out creating replay ledger topic " + ledger, e);
    }
  }

  private KafkaProducer<byte[], byte[]> transactionalProducer(String dltTopic, ReplayTarget target) {
    Map<String, Object> p = KafkaClients.known(clientProperties, ProducerConfig.configNames());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    return KafkaClients.transactionalProducer(cluster, "sagaflow-replay-" + dltTopic + "-" + target, p);
  }

  private static final class Counts {
    final boolean dryRun;
    long scanned;
    long matched;
    long replayed;
    long skipped;
    long failed;

    Counts(boolean dryRun) {
      this.dryRun = dryRun;
    }

    ReplaySummary summary() {
      return new ReplaySummary(scanned, matched, replayed, skipped, failed, dryRun);
    }
  }
}
