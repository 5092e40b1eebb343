package io.sagaflow.saga;

import io.sagaflow.saga.internal.KafkaActionPublisher;
import io.sagaflow.saga.internal.KafkaReplyRouter;
import java.util.Objects;

/**
 * The entry point to sagas.
 *
 * <pre>{@code
 * SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults()
 *     .withCluster(ClusterOptions.of("main", "localhost:9092")));
 * }</pre>
 */
public final class Sagas {
  private Sagas() {}

  /**
   * A runtime on Kafka: an idempotent producer for puts and one shared reply consumer.
   *
   * @throws IllegalArgumentException when the options have no cluster
   */
  public static SagaRuntime runtime(SagaOptions options) {
    Objects.requireNonNull(options, "options");
    requireCluster(options);
    ActionCodec codec = codec(options);
    ActionPublisher publisher = kafkaPublisher(options);
    try {
      ActionSource source = kafkaSource(options);
      return new SagaRuntime(options, publisher, source, codec);
    } catch (RuntimeException e) {
      publisher.close();
      throw e;
    }
  }

  /** A runtime on a transport of your own (an in-memory bus, another broker). */
  public static SagaRuntime runtime(SagaOptions options, ActionPublisher publisher, ActionSource source) {
    return new SagaRuntime(Objects.requireNonNull(options, "options"), Objects.requireNonNull(publisher, "publisher"),
        Objects.requireNonNull(source, "source"), codec(options));
  }

  /**
   * The Kafka publisher alone: idempotent producer, {@code acks=all}, 2 ms linger; each publish
   * completes once acknowledged. With a {@linkplain SagaOptions#withTopicAdministrator topic
   * administrator}, a put on a missing topic creates it first.
   */
  public static ActionPublisher kafkaPublisher(SagaOptions options) {
    requireCluster(options);
    return new KafkaActionPublisher(options.cluster(), options.kafkaProperties(), codec(options),
        options.topicAdministrator(), options.tracing());
  }

  private static ActionCodec codec(SagaOptions options) {
    ActionCodec codec = ActionCodec.create(options.objectMapper());
    return options.strictPayloads() ? codec.withStrictPayloads() : codec;
  }

  /**
   * The Kafka action source alone: the one shared reply consumer that takes and channels subscribe
   * to. {@link ActionSource#subscribe} returns once the consumer is assigned and positioned on the
   * topics, so a wrapper (such as the testkit's {@code SubscriptionProbe}) sees the moment a take
   * or a channel starts listening. Pass it to {@link #runtime(SagaOptions, ActionPublisher, ActionSource)}.
   */
  public static ActionSource kafkaSource(SagaOptions options) {
    requireCluster(options);
    return new KafkaReplyRouter(options.cluster(), options.kafkaProperties(), codec(options),
        options.followTimeout(), options.topicAdministrator(), options.metrics());
  }

  private static void requireCluster(SagaOptions options) {
    if (options.cluster() == null) {
      throw new IllegalArgumentException("SagaOptions has no Kafka cluster; use withCluster(ClusterOptions.of(\"main\","
          + " \"host:9092\")) or withBootstrapServers(\"host:9092\")");
    }
  }
}
