package io.sagaflow.saga.internal;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;

import io.sagaflow.saga.TopicAdministrator;
import io.sagaflow.saga.TopicSpec;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** {@link TopicAdministrator} on Kafka's {@link Admin}; a topic that already exists is success. */
public final class KafkaTopicAdministrator implements TopicAdministrator {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private final ClusterOptions cluster;
  private final Admin admin;

  /** An administrator of this cluster. */
  public KafkaTopicAdministrator(ClusterOptions cluster) {
    this.cluster = cluster;
    this.admin = KafkaClients.admin(cluster, "saga-topics", Map.of());
  }

  @Override
  public void ensureTopics(Collection<TopicSpec> topics) {
    if (topics.isEmpty()) {
      return;
    }
    var result = admin.createTopics(topics.stream().map(t -> new NewTopic(t.name(), Optional.of(t.partitions()),
        t.replicationFactor() == -1 ? Optional.empty() : Optional.of(t.replicationFactor())).configs(t.configs()))
        .toList());
    for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
      try {
        e.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          ConnectionFailures.explain(cluster, ex.getCause()).ifPresent(clear -> {
            throw clear;
          });
          throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause(), ex.getCause());
        }
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating topic " + e.getKey(), ex);
      } catch (java.util.concurrent.TimeoutException ex) {
        throw new IllegalStateException("creating topic " + e.getKey() + " did not finish within " + TIMEOUT, ex);
      }
    }
  }

  @Override
  public void close() {
    admin.close(TIMEOUT);
  }
}
