package io.sagaflow.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import io.sagaflow.kafka.internal.ConnectionFailures;
import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.kafka.internal.Redaction;

/**
 * One Kafka cluster and the clients Sagaflow keeps for it: a shared idempotent producer and an
 * admin client, created on first use. Several clusters live side by side in one process and
 * share nothing; consuming from one and producing to another is allowed, but it is at-least-once
 * (a Kafka transaction never spans clusters).
 *
 * <p><b>How the parts connect.</b> {@link ClusterOptions} is the value that says how to reach a
 * cluster; every options type holds one ({@code ProcessorOptions.create(cluster, ...)}, {@code
 * RecoveryOptions.of(cluster, ...)}, {@code SagaOptions.defaults().withCluster(cluster)}, {@code
 * DeadLettersOptions.of(cluster)}), and each also accepts a {@code KafkaCluster} (its options are
 * taken) or a bootstrap string (a plaintext cluster named {@value ClusterOptions#DEFAULT_NAME}).
 * Every client any part builds comes from one internal factory with one policy for client ids,
 * security, idempotence ({@code acks=all}) and metrics. A runtime ({@code Processor}, {@code
 * RecoveryHandler}, {@code SagaRuntime}) owns the clients it builds, because their tuning and their
 * life (a close drains and flushes them) are the runtime's; this handle's shared producer and
 * admin client serve the application's own sends and administration, and the CLI.
 *
 * <pre>{@code
 * try (KafkaCluster main = KafkaCluster.create(ClusterOptions.of("main", "127.0.0.1:9092"));
 *      KafkaCluster audit = KafkaCluster.create(ClusterOptions.of("audit", "audit-kafka:9092"))) {
 *   main.verifyReachable(Duration.ofSeconds(10));
 *   audit.producer().send("audit-log", null, bytes).join();
 * }
 * }</pre>
 */
public final class KafkaCluster implements AutoCloseable {
  private final ClusterOptions options;
  private final List<EventProducer> producers = new ArrayList<>();
  private EventProducer shared;
  private Admin admin;
  private boolean closed;

  private KafkaCluster(ClusterOptions options) {
    this.options = options;
  }

  /** A cluster handle; no connection is made until a client is first used. */
  public static KafkaCluster create(ClusterOptions options) {
    return new KafkaCluster(java.util.Objects.requireNonNull(options, "options"));
  }

  public String name() {
    return options.name();
  }

  public ClusterOptions options() {
    return options;
  }

  /**
   * Properties for any client of this cluster: bootstrap servers, security, overrides. They hold
   * the secrets: pass them to a client, never to a log line.
   */
  public Map<String, Object> clientProperties() {
    return options.clientProperties();
  }

  /**
   * A new consumer of bytes of its own, built with the same policy as every Sagaflow client; the
   * caller closes it.
   *
   * @param role names the consumer in its client id, e.g. {@code audit-reader}
   * @param overrides consumer properties, e.g. {@code group.id}
   */
  public KafkaConsumer<byte[], byte[]> newConsumer(String role, Map<String, ?> overrides) {
    ensureOpen();
    return KafkaClients.consumer(options, role, overrides);
  }

  /** The shared idempotent producer with {@link ProducerOptions#defaults()}. */
  public synchronized EventProducer producer() {
    ensureOpen();
    if (shared == null) {
      shared = newProducer(ProducerOptions.defaults());
    }
    return shared;
  }

  /** A new producer of its own with these options; closed with the cluster. */
  public synchronized EventProducer newProducer(ProducerOptions producerOptions) {
    ensureOpen();
    EventProducer producer = new EventProducer(options.name(),
        KafkaClients.producer(options, "producer", producerOptions.toProperties()));
    producers.add(producer);
    return producer;
  }

  /** The shared admin client. */
  public synchronized Admin admin() {
    ensureOpen();
    if (admin == null) {
      admin = KafkaClients.admin(options, "admin", Map.of());
    }
    return admin;
  }

  /**
   * Checks that the cluster answers within {@code timeout} and accepts our credentials.
   *
   * @throws IllegalStateException naming the cluster, its bootstrap servers and the likely fixes
   *     (user, password and mechanism for a failed authentication; the truststore for a failed TLS
   *     handshake); never the credentials
   */
  public void verifyReachable(Duration timeout) {
    try {
      admin().describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting to cluster " + name(), e);
    } catch (ExecutionException e) {
      Optional<IllegalStateException> clear = ConnectionFailures.explain(options, e.getCause());
      if (clear.isPresent()) {
        throw clear.get();
      }
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        // The admin client gave up on its own (its request timeout ran out before ours): no broker
        // answered, which is the unreachable case, not a refusal.
        throw unreachable(timeout, e.getCause());
      }
      throw new IllegalStateException("cluster " + name() + " at " + options.bootstrapServers()
          + " refused us: " + e.getCause().getClass().getSimpleName() + ": "
          + Redaction.scrub(e.getCause().getMessage(), options.clientProperties())
          + " (check the security settings and credentials)", e.getCause());
    } catch (TimeoutException e) {
      throw unreachable(timeout, e);
    }
  }

  private IllegalStateException unreachable(Duration timeout, Throwable cause) {
    return new IllegalStateException("cannot reach cluster " + name() + " at "
        + options.bootstrapServers() + " within " + timeout.toMillis() + " ms: check the bootstrap"
        + " servers, the network, and that the security protocol matches the listener", cause);
  }

  /** Flushes and closes every producer, then the admin client, within {@code timeout} overall. */
  public synchronized void close(Duration timeout) {
    if (closed) {
      return;
    }
    closed = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    for (EventProducer p : producers) {
      p.close(remaining(deadline));
    }
    if (admin != null) {
      admin.close(remaining(deadline));
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cluster " + name() + " is closed");
    }
  }

  @Override
  public String toString() {
    return "KafkaCluster[" + options + "]";
  }
}
