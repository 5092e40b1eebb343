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
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates retry and dead-letter topics on first use with the partition count of their source
 * topic (so a record can keep its partition). Topics known to exist are remembered; a failed
 * creation is retried on the next call.
 */
public final class TopicProvisioner implements AutoCloseable {
  private final Admin admin;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  /** @param admin the administrator, or {@code null} to never create topics */
  public TopicProvisioner(Admin admin) {
    this.admin = admin;
  }

  public void ensure(String topic, String sourceTopic, Duration timeout) throws Exception {
    if (admin == null || known.contains(topic)) {
      return;
    }
    long ms = timeout.toMillis();
    Map<String, TopicDescription> existing;
    try {
      existing = admin.describeTopics(List.of(topic)).allTopicNames().get(ms, TimeUnit.MILLISECONDS);
      if (existing.containsKey(topic)) {
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
    known.add(topic);
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
