package io.sagaflow.recovery.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates retry and dead-letter topics on first use with the partition count of their source
 * topic (so a record can keep its partition). Topics known to exist are remembered; a failed
 * creation is retried on the next call.
 */
public final class TopicProvisioner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);
  private final Admin admin;
  private final Set<String> known = ConcurrentHashMap.newKeySet();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  /** @param admin the administrator, or {@code null} to never create topics */
  public TopicProvisioner(Admin admin) {
    this.admin = admin;
  }

  void ensure(String topic, String sourceTopic, Duration timeout) throws Exception {
    if (admin == null || known.contains(topic)) {
      return;
    }
    // One creator per topic: the other workers wait for it instead of racing the creation.
    synchronized (locks.computeIfAbsent(topic, t -> new Object())) {
      if (!known.contains(topic)) {
        try {
          create(topic, sourceTopic, timeout);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof AuthorizationException)) {
            throw e;
          }
          // No right to describe or create topics: the topic may still exist and be writable,
          // so leave the verdict to the producer (which fails the publish if it is not).
          log.warn("not allowed to create or describe {} ({}); publishing to it as it is", topic, e.getCause().toString());
          known.add(topic);
        }
      }
    }
  }

  private void create(String topic, String sourceTopic, Duration timeout) throws Exception {
    long ms = timeout.toMillis();
    Map<String, TopicDescription> existing;
    try {
      existing = admin.describeTopics(List.of(topic)).allTopicNames().get(ms, TimeUnit.MILLISECONDS);
      if (existing.containsKey(topic) && hasLeaders(existing.get(topic))) {
        known.add(topic);
        return;
      }
    } catch (ExecutionException e) {
      // UnknownTopicOrPartition: create it below; anything else surfaces from the create call.
    }
    TopicDescription source =
        admin.describeTopics(List.of(sourceTopic)).allTopicNames().get(ms, TimeUnit.MILLISECONDS).get(sourceTopic);
    int partitions = source.partitions().size();
    try {
      admin.createTopics(List.of(new NewTopic(topic, java.util.Optional.of(partitions), java.util.Optional.empty())))
          .all().get(ms, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    awaitLeaders(topic, System.nanoTime() + timeout.toNanos());
    known.add(topic);
  }

  /**
   * Waits until every partition of a new topic has a leader. Producing to a partition while it is
   * still being created can leave an idempotent producer retrying a batch the broker already wrote
   * (OutOfOrderSequenceException until the delivery timeout), which would stall the failed record.
   */
  private void awaitLeaders(String topic, long deadlineNanos) throws Exception {
    while (true) {
      long left = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
            .get(left, TimeUnit.MILLISECONDS).get(topic);
        if (d != null && hasLeaders(d)) {
          return;
        }
      } catch (ExecutionException e) {
        // Not visible yet on the broker we asked; try again.
      }
      if (System.nanoTime() > deadlineNanos) {
        throw new java.util.concurrent.TimeoutException("topic " + topic + " has partitions without a leader");
      }
      Thread.sleep(50); // polling the broker's metadata: nothing to wait on locally
    }
  }

  private static boolean hasLeaders(TopicDescription d) {
    return d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
