package io.sagaflow.spring.boot;

import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumerOptions;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A saga consumer to run: declare one as a bean, and the starter runs {@code saga} for every action on
 * {@code topic} with the auto-configured {@link io.sagaflow.saga.SagaRuntime}, from the moment the
 * context is ready until it closes (see {@link io.sagaflow.saga.SagaConsumer}).
 *
 * <pre>{@code
 * @Bean
 * SagaConsumerDefinition<Pizza> kitchen(Oven oven) {
 *   return SagaConsumerDefinition.of("CREATE_PIZZA_BEGIN", Pizza.class, new KitchenSaga(oven), "kitchen")
 *       .withOptions(o -> o.withMaxInFlight(200));
 * }
 * }</pre>
 *
 * <p>Dead letters go to {@code <topic>-dlt} and are counted in {@code sagaflow.recovery.dead.lettered}
 * when the application has a {@code MeterRegistry}.
 *
 * @param topic the input topic
 * @param payloadType the type the actions' payloads are mapped to
 * @param saga the saga
 * @param groupId the consumer group
 * @param options refines the consumer's options, which start from {@link SagaConsumerOptions#of(String)}
 *     (with the metrics listener when there is a registry)
 * @param <P> the payload type
 */
public record SagaConsumerDefinition<P>(String topic, Class<P> payloadType, Saga<P> saga, String groupId,
    UnaryOperator<SagaConsumerOptions> options) {

  /** Validates the definition. */
  public SagaConsumerDefinition {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("a saga consumer definition needs a topic");
    }
    Objects.requireNonNull(payloadType, "payloadType");
    Objects.requireNonNull(saga, "saga");
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("the saga consumer definition of " + topic + " needs a consumer group");
    }
    Objects.requireNonNull(options, "options");
  }

  /**
   * A consumer of {@code topic} with {@link SagaConsumerOptions#of(String) default options}.
   *
   * @param topic the input topic
   * @param payloadType the type the actions' payloads are mapped to
   * @param saga the saga
   * @param groupId the consumer group
   * @param <P> the payload type
   * @return the definition
   */
  public static <P> SagaConsumerDefinition<P> of(String topic, Class<P> payloadType, Saga<P> saga, String groupId) {
    return new SagaConsumerDefinition<>(topic, payloadType, saga, groupId, UnaryOperator.identity());
  }

  /**
   * This definition with its options refined by {@code options} (in-flight bound, dead-letter topic, ...).
   *
   * @param options refines {@link SagaConsumerOptions#of(String)}
   * @return a new definition
   */
  public SagaConsumerDefinition<P> withOptions(UnaryOperator<SagaConsumerOptions> options) {
    return new SagaConsumerDefinition<>(topic, payloadType, saga, groupId, options);
  }
}
