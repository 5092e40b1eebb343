package io.sagaflow.spring.boot;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicDefaults;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import io.sagaflow.spring.boot.internal.CoreOptions;
import io.sagaflow.spring.boot.internal.ListenerMethodPostProcessor;
import io.sagaflow.spring.boot.internal.MetricsBinding;
import io.sagaflow.spring.boot.internal.MicrometerBinding;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;

/**
 * Sagaflow on Spring Boot, from the {@code sagaflow.*} properties ({@link SagaflowProperties}):
 *
 * <ul>
 *   <li>{@link SagaflowClusters}, and a {@link KafkaCluster} of the default cluster (created when
 *       first injected) for the application's own sends and administration;
 *   <li>a processor per {@link SagaflowListener} method, with the recovery pipeline, and a saga
 *       consumer per {@link SagaConsumerDefinition} bean, run by the {@link SagaflowContainer}
 *       from the moment the context is ready until it closes (drained in the graceful shutdown phase);
 *   <li>a {@link SagaRuntime} (created when first needed) with the options of {@code sagaflow.saga};
 *   <li>metrics on the application's Micrometer {@code MeterRegistry}, when there is one;
 *   <li>the {@code sagaflow} health indicator ({@link SagaflowHealthIndicator}), with Spring Boot's
 *       health support on the class path.
 * </ul>
 *
 * <p>{@code sagaflow.enabled=false} turns all of it off.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "sagaflow.enabled", matchIfMissing = true)
@EnableConfigurationProperties(SagaflowProperties.class)
public class SagaflowAutoConfiguration {

  /** Created by Spring Boot from the auto-configuration imports. */
  public SagaflowAutoConfiguration() {}

  /** Finds the {@link SagaflowListener} methods. Static: a post-processor is created before other beans. */
  @Bean
  static ListenerMethodPostProcessor sagaflowListenerMethodPostProcessor() {
    return new ListenerMethodPostProcessor();
  }

  /** The configured clusters; each is validated here (a wrong setting fails the start, naming the cluster). */
  @Bean
  @ConditionalOnMissingBean
  SagaflowClusters sagaflowClusters(SagaflowProperties properties) {
    Map<String, ClusterOptions> clusters = new LinkedHashMap<>();
    properties.clusters().forEach((name, c) -> clusters.put(name, CoreOptions.cluster(name, c)));
    return new SagaflowClusters(clusters, properties.cluster());
  }

  /** The default cluster's handle: its shared idempotent producer and admin client, for the application. */
  @Bean(destroyMethod = "close")
  @Lazy
  @ConditionalOnMissingBean
  KafkaCluster sagaflowKafkaCluster(SagaflowClusters clusters) {
    return KafkaCluster.create(clusters.defaultCluster());
  }

  /** Creates the saga runtime's missing topics, with {@code sagaflow.saga.create-topics=true}. */
  @Bean(destroyMethod = "close")
  @Lazy
  @ConditionalOnBooleanProperty("sagaflow.saga.create-topics")
  @ConditionalOnMissingBean
  TopicAdministrator sagaflowTopicAdministrator(SagaflowClusters clusters, SagaflowProperties properties) {
    SagaflowProperties.Saga s = properties.saga();
    TopicDefaults defaults = TopicDefaults.brokerDefaults();
    if (s.topicPartitions() != null) {
      defaults = defaults.withPartitions(s.topicPartitions());
    }
    if (s.topicReplicationFactor() != null) {
      defaults = defaults.withReplicationFactor(s.topicReplicationFactor());
    }
    return TopicAdministrator.create(clusters.get(s.cluster()), defaults);
  }

  /** The saga runtime: created when a saga consumer or the application first needs it. */
  @Bean(destroyMethod = "close")
  @Lazy
  @ConditionalOnMissingBean
  SagaRuntime sagaflowSagaRuntime(SagaflowClusters clusters, SagaflowProperties properties,
      ObjectProvider<ObjectMapper> mappers, ObjectProvider<TopicAdministrator> topics) {
    SagaOptions options = CoreOptions.saga(clusters.get(properties.saga().cluster()), properties.saga())
        .withObjectMapper(json(mappers));
    TopicAdministrator administrator = topics.getIfAvailable();
    return Sagas.runtime(administrator == null ? options : options.withTopicAdministrator(administrator));
  }

  /** Starts and drains the listeners' processors and the saga consumers. */
  @Bean
  @ConditionalOnMissingBean
  SagaflowContainer sagaflowContainer(ListenerMethodPostProcessor listeners, SagaflowProperties properties,
      SagaflowClusters clusters, ListableBeanFactory beans, ObjectProvider<MetricsBinding> metrics,
      ObjectProvider<ObjectMapper> mappers, ObjectProvider<SagaRuntime> runtime, Environment environment) {
    Duration phaseTimeout = Binder.get(environment)
        .bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class).orElse(Duration.ofSeconds(30));
    return new SagaflowContainer(listeners::endpoints, properties, clusters, beans,
        metrics.getIfAvailable(() -> MetricsBinding.NONE), json(mappers), runtime::getObject,
        environment.getProperty("spring.application.name"), phaseTimeout);
  }

  /**
   * The application's Jackson 2 {@code ObjectMapper} if it has exactly one, else one that finds the
   * modules on the class path (java.time, ...) and ignores unknown properties, as Spring Boot's does.
   */
  private static ObjectMapper json(ObjectProvider<ObjectMapper> mappers) {
    return mappers.getIfUnique(() -> new ObjectMapper().findAndRegisterModules()
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
  }

  /** Metrics on the application's {@code MeterRegistry}, when Micrometer is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  static class MicrometerConfiguration {
    @Bean
    @ConditionalOnMissingBean
    MetricsBinding sagaflowMetricsBinding(ObjectProvider<MeterRegistry> registries) {
      return new MicrometerBinding(registries);
    }
  }

  /** The {@code sagaflow} health indicator, with Spring Boot's health support on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("sagaflow")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "sagaflowHealthIndicator")
    HealthIndicator sagaflowHealthIndicator(SagaflowContainer container) {
      return new SagaflowHealthIndicator(container);
    }
  }
}
