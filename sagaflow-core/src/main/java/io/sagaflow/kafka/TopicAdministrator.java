package io.sagaflow.kafka;

import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way Sagaflow creates topics: saga consumers (input and dead-letter topics), the saga
 * runtime (put and reply topics) and recovery (retry and dead-letter topics) all go through it. It
 * creates a topic that does not exist with the partitions, replication factor and configs of its
 * {@link TopicDefaults}, waits until every partition has a leader, and leaves an existing topic as
 * it is (never altered). It owns a Kafka {@code Admin} client: close it after the runtimes and
 * consumers that use it.
 *
 * <pre>{@code
 * try (TopicAdministrator topics = TopicAdministrator.create(cluster,
 *         TopicDefaults.of(6).withReplicationFactor(3));
 *      SagaRuntime runtime = Sagas.runtime(options.withTopicAdministrator(topics))) {
 *   runtime.consumer("PIZZA_CREATE", Pizza.class, kitchen, "kitchen"); // creates PIZZA_CREATE and PIZZA_CREATE-dlt
 * }
 * }</pre>
 *
 * <p>Design note: topics known to exist are remembered, so the hot paths (a put, a dead letter)
 * ask the broker once per topic; one caller per topic creates it while the others wait for it
 * rather than racing the creation. A failed creation is not remembered: the next call tries again.
 * Where the client may not describe or create topics (an {@link AuthorizationException}), the topic
 * may still exist and be writable: that is logged and the verdict left to the producer or consumer.
 */
public final class TopicAdministrator implements AutoCloseable {
  /** How long one {@code ensure} call may take unless another timeout was given. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(TopicAdministrator.class);

  private final ClusterOptions cluster;
  private final TopicDefaults defaults;
  private final Duration timeout;
  private final Admin admin;
  private final Set<String> known = ConcurrentHashMap.newKeySet();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  private TopicAdministrator(ClusterOptions cluster, TopicDefaults defaults, Map<String, ?> adminProperties,
      Duration timeout) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
    }
    this.timeout = timeout;
    this.admin = KafkaClients.admin(cluster, "topics", Objects.requireNonNull(adminProperties, "adminProperties"));
  }

  /** An administrator of {@code cluster} that creates topics with the broker's defaults. */
  public static TopicAdministrator create(ClusterOptions cluster) {
    return create(cluster, TopicDefaults.brokerDefaults());
  }

  /** An administrator of {@code cluster} that creates topics as {@code defaults} say. */
  public static TopicAdministrator create(ClusterOptions cluster, TopicDefaults defaults) {
    return new TopicAdministrator(cluster, defaults, Map.of(), DEFAULT_TIMEOUT);
  }

  /** {@link #create(ClusterOptions, TopicDefaults)} with the options of this cluster handle. */
  public static TopicAdministrator create(KafkaCluster cluster, TopicDefaults defaults) {
    return create(Objects.requireNonNull(cluster, "cluster").options(), defaults);
  }

  /**
   * The full form: raw admin client properties (applied over the cluster's), and the longest one
   * {@code ensure} call may take.
   */
  public static TopicAdministrator create(ClusterOptions cluster, TopicDefaults defaults,
      Map<String, ?> adminProperties, Duration timeout) {
    return new TopicAdministrator(cluster, defaults, adminProperties, timeout);
  }

  /** The cluster this administrator creates topics on. */
  public ClusterOptions cluster() {
    return cluster;
  }

  /** What created topics get. */
  public TopicDefaults defaults() {
    return defaults;
  }

  /**
   * Creates those of {@code topics} that do not exist, each with {@link TopicDefaults#specFor}.
   *
   * @throws IllegalStateException when a topic cannot be created within the timeout
   */
  public void ensureTopics(String... topics) {
    for (String t : topics) {
      ensure(t, deadline -> defaults.specFor(t)); // the spec is built only when the topic is not known
    }
  }

  /**
   * Creates those of {@code specs} that do not exist, as specified, and returns once every
   * partition of each has a leader. Existing topics are left as they are.
   *
   * @throws IllegalStateException when a topic cannot be created within the timeout
   */
  public void ensureTopics(Collection<TopicSpec> specs) {
    for (TopicSpec spec : specs) {
      ensure(spec.name(), deadline -> spec);
    }
  }

  /**
   * Creates those of {@code topics} that do not exist as companions of {@code source} (its retry
   * and dead-letter topics): with {@link TopicDefaults#companionSpec}, that is the source's
   * partition count unless a spec names the topic.
   *
   * @throws IllegalStateException when {@code source} does not exist or a topic cannot be created
   */
  public void ensureCompanionTopics(String source, Collection<String> topics) {
    for (String topic : topics) {
      ensure(topic, deadline -> {
        if (defaults.topics().containsKey(topic)) {
          return defaults.specFor(topic);
        }
        TopicDescription d = describe(source, deadline).orElseThrow(() -> new IllegalStateException("cannot create "
            + topic + " with the partition count of " + source + ": " + source + " does not exist; create it first"));
        return defaults.companionSpec(topic, d.partitions().size());
      });
    }
  }

  /**
   * The topics among {@code topics} that do not exist. A topic this client may not describe counts
   * as existing (the verdict is left to whoever uses it).
   *
   * @throws IllegalStateException when the broker cannot be asked within the timeout
   */
  public Set<String> missingTopics(Collection<String> topics) {
    Set<String> missing = new LinkedHashSet<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Map.Entry<String, KafkaFuture<TopicDescription>> e
        : admin.describeTopics(List.copyOf(new LinkedHashSet<>(topics))).topicNameValues().entrySet()) {
      try {
        e.getValue().get(millisLeft(deadline), TimeUnit.MILLISECONDS);
      } catch (ExecutionException ex) {
        if (ex.getCause() instanceof UnknownTopicOrPartitionException) {
          missing.add(e.getKey());
        } else if (!(ex.getCause() instanceof AuthorizationException)) {
          throw failure("cannot describe topic " + e.getKey(), ex.getCause());
        }
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while describing topic " + e.getKey(), ex);
      } catch (TimeoutException ex) {
        throw new IllegalStateException("describing topic " + e.getKey() + " on cluster " + cluster.name() + " at "
            + cluster.bootstrapServers() + " did not finish within " + timeout + "; is the cluster reachable?", ex);
      }
    }
    return missing;
  }

  private interface SpecSource {
    TopicSpec spec(long deadlineNanos) throws Exception;
  }

  private void ensure(String topic, SpecSource specs) {
    if (known.contains(topic)) {
      return;
    }
    // One creator per topic: the other callers wait for it instead of racing the creation.
    synchronized (locks.computeIfAbsent(topic, t -> new Object())) {
      if (known.contains(topic)) {
        return;
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        Optional<TopicDescription> existing = describe(topic, deadline);
        if (existing.isEmpty() || !hasLeaders(existing.get())) {
          create(specs.spec(deadline), deadline);
          awaitLeaders(topic, deadline);
        }
        known.add(topic);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating topic " + topic, e);
      } catch (TimeoutException e) {
        throw new IllegalStateException("creating topic " + topic + " on cluster " + cluster.name() + " at "
            + cluster.bootstrapServers() + " did not finish within " + timeout + "; is the cluster reachable?", e);
      } catch (Exception e) {
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        if (cause instanceof AuthorizationException) {
          log.warn("not allowed to create or describe topic {} ({}); using it as it is", topic, cause.toString());
          known.add(topic);
          return;
        }
        if (cause instanceof IllegalStateException clear && cause == e) {
          throw clear;
        }
        throw failure("cannot create topic " + topic, cause);
      }
    }
  }

  private void create(TopicSpec spec, long deadline) throws Exception {
    NewTopic topic = new NewTopic(spec.name(),
        spec.partitions() == -1 ? Optional.empty() : Optional.of(spec.partitions()),
        spec.replicationFactor() == -1 ? Optional.empty() : Optional.of(spec.replicationFactor()))
        .configs(spec.configs());
    try {
      admin.createTopics(List.of(topic)).all().get(millisLeft(deadline), TimeUnit.MILLISECONDS);
      log.debug("created topic {} ({} partitions, replication factor {}{})", spec.name(),
          spec.partitions() == -1 ? "broker default" : spec.partitions(),
          spec.replicationFactor() == -1 ? "broker default" : spec.replicationFactor(),
          spec.configs().isEmpty() ? "" : ", configs " + spec.configs());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  private Optional<TopicDescription> describe(String topic, long deadline) throws Exception {
    try {
      return Optional.ofNullable(admin.describeTopics(List.of(topic)).allTopicNames()
          .get(millisLeft(deadline), TimeUnit.MILLISECONDS).get(topic));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Waits until every partition of a new topic has a leader. Producing to a partition while it is
   * still being created can leave an idempotent producer retrying a batch the broker already wrote
   * (OutOfOrderSequenceException until the delivery timeout), which would stall the record.
   */
  private void awaitLeaders(String topic, long deadline) throws Exception {
    while (true) {
      try {
        Optional<TopicDescription> d = describe(topic, deadline);
        if (d.isPresent() && hasLeaders(d.get())) {
          return;
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof AuthorizationException) {
          throw e;
        }
        // Not visible yet on the broker we asked; try again.
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("topic " + topic + " has partitions without a leader");
      }
      Thread.sleep(50); // polling the broker's metadata: nothing to wait on locally
    }
  }

  private static boolean hasLeaders(TopicDescription d) {
    return d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
  }

  private static long millisLeft(long deadline) {
    return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
  }

  private IllegalStateException failure(String what, Throwable cause) {
    return ConnectionFailures.explain(cluster, cause)
        .orElseGet(() -> new IllegalStateException(what + ": " + cause, cause));
  }

  /** Closes the admin client. */
  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }

  @Override
  public String toString() {
    return "TopicAdministrator[cluster=" + cluster.name() + ", defaults=" + defaults + "]";
  }
}
