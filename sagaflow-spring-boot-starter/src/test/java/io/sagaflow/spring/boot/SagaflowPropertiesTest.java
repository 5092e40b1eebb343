package io.sagaflow.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.Sasl;
import io.sagaflow.kafka.Tls;
import io.sagaflow.processor.CommitStrategy;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.spring.boot.internal.CoreOptions;
import io.sagaflow.spring.boot.internal.MetricsBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The sagaflow.* properties bind to the core's options, and misconfiguration fails the start clearly. No broker. */
class SagaflowPropertiesTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SagaflowAutoConfiguration.class));

  @Test
  void clustersBindWithTypedSecurity(@TempDir Path dir) throws Exception {
    Path trust = Files.writeString(dir.resolve("truststore.p12"), "not really a store");
    runner.withPropertyValues(
            "sagaflow.cluster=orders",
            "sagaflow.clusters.orders.bootstrap-servers=kafka-1:9093,kafka-2:9093",
            "sagaflow.clusters.orders.sasl.mechanism=scram-sha-512",
            "sagaflow.clusters.orders.sasl.username=svc-orders",
            "sagaflow.clusters.orders.sasl.password=s3cret",
            "sagaflow.clusters.orders.tls.trust-store=" + trust,
            "sagaflow.clusters.orders.tls.trust-store-password=trust-pw",
            "sagaflow.clusters.orders.properties.client.dns.lookup=use_all_dns_ips",
            "sagaflow.clusters.audit.bootstrap-servers=audit:9092",
            "sagaflow.clusters.audit.tls.enabled=true")
        .run(context -> {
          assertThat(context).hasNotFailed();
          SagaflowClusters clusters = context.getBean(SagaflowClusters.class);
          assertThat(clusters.names()).containsExactly("audit", "orders");
          assertThat(clusters.defaultCluster()).isEqualTo(ClusterOptions.of("orders", "kafka-1:9093,kafka-2:9093")
              .withSasl(Sasl.scramSha512("svc-orders", "s3cret"))
              .withTls(Tls.trustStore(trust, "trust-pw"))
              .withClientOverride("client.dns.lookup", "use_all_dns_ips"));
          assertThat(clusters.get("audit").securityProtocol()).isEqualTo("SSL");
          assertThat(clusters.get("audit").tls()).isEqualTo(Tls.systemTrust());
          assertThat(context.getBean(SagaflowProperties.class).toString()).doesNotContain("s3cret", "trust-pw");
        });
  }

  @Test
  void processorDefaultsAndRetryPoliciesMapOntoTheCoreOptions() {
    runner.withPropertyValues(
            "sagaflow.processor.ordering=PARTITION",
            "sagaflow.processor.max-in-flight=5000",
            "sagaflow.processor.max-buffered-bytes=8MB",
            "sagaflow.processor.commit-strategy=SYNC_PER_BATCH",
            "sagaflow.processor.commit-interval=250ms",
            "sagaflow.processor.stall-alarm-after=2m",
            "sagaflow.processor.consumers=3",
            "sagaflow.processor.properties.max.poll.records=100",
            "sagaflow.recovery.retry.in-place-attempts=5",
            "sagaflow.recovery.retry.retry-topic-delays=10s,1m",
            "sagaflow.recovery.policies.fail-fast.in-place-attempts=1",
            "sagaflow.recovery.policies.fail-fast.retry-topic-delays=",
            "sagaflow.recovery.policies.fail-fast.dead-letter-suffix=.DLT")
        .run(context -> {
          SagaflowProperties p = context.getBean(SagaflowProperties.class);
          ProcessorOptions<String, String> o = CoreOptions.processor(ProcessorOptions.create("127.0.0.1:9092", "g",
              new StringDeserializer(), new StringDeserializer()), p.processor());
          assertThat(o.ordering()).isEqualTo(Ordering.PARTITION);
          assertThat(o.maxInFlight()).isEqualTo(5000);
          assertThat(o.maxInFlightPerPartition()).isEqualTo(1000); // unset: the core's default
          assertThat(o.maxBufferedBytes()).isEqualTo(8L * 1024 * 1024);
          assertThat(o.commitStrategy()).isEqualTo(CommitStrategy.SYNC_PER_BATCH);
          assertThat(o.commitInterval()).isEqualTo(Duration.ofMillis(250));
          assertThat(o.stallAlarmAfter()).isEqualTo(Duration.ofMinutes(2));
          assertThat(o.consumers()).isEqualTo(3);
          assertThat(o.kafkaProperties()).containsEntry("max.poll.records", "100");

          RetryPolicy defaults = CoreOptions.retryPolicy(p.recovery().retry(), null);
          assertThat(defaults.inPlaceAttempts()).isEqualTo(5);
          assertThat(defaults.retryTopicDelays()).containsExactly(Duration.ofSeconds(10), Duration.ofMinutes(1));
          assertThat(defaults.initialBackoff()).isEqualTo(RetryPolicy.defaults().initialBackoff());
          assertThat(defaults.deadLetterTopic("orders")).isEqualTo("orders-dlt");

          RetryPolicy failFast = CoreOptions.retryPolicy(p.recovery().policies().get("fail-fast"), p.recovery().retry());
          assertThat(failFast.inPlaceAttempts()).isEqualTo(1);
          assertThat(failFast.retryTopicDelays()).isEmpty(); // an empty value: no retry topics
          assertThat(failFast.deadLetterTopic("orders")).isEqualTo("orders.DLT");
        });
  }

  @Test
  void aListenerThatReturnsAValueFailsTheStartNamingTheMethod() {
    runner.withPropertyValues("sagaflow.clusters.default.bootstrap-servers=127.0.0.1:1")
        .withUserConfiguration(ReturningListener.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("@SagaflowListener method Returning.handle must return void"));
  }

  @Test
  void anUnknownRetryPolicyFailsTheStartListingTheKnownOnes() {
    runner.withPropertyValues("sagaflow.clusters.default.bootstrap-servers=127.0.0.1:1",
            "sagaflow.recovery.policies.slow.in-place-attempts=9")
        .withUserConfiguration(UnknownPolicyListener.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("names retry policy 'fast'")
            .hasMessageContaining("(known: [slow])")
            .hasMessageContaining("sagaflow.recovery.policies.fast"));
  }

  @Test
  void aListenerWithoutAClusterFailsTheStartSayingWhatToSet() {
    runner.withUserConfiguration(UnknownPolicyListener.class)
        .withPropertyValues("sagaflow.recovery.policies.fast.in-place-attempts=1")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("set sagaflow.clusters.default.bootstrap-servers=host:port"));
  }

  @Test
  void theHealthIndicatorIsThereUnlessSwitchedOffAndNothingIsThereWhenDisabled() {
    runner.run(context -> {
      assertThat(context).hasNotFailed().hasBean("sagaflowHealthIndicator").hasSingleBean(SagaflowContainer.class);
      assertThat(context.getBean("sagaflowHealthIndicator", HealthIndicator.class).health().getStatus().getCode())
          .isEqualTo("UP");
    });
    runner.withPropertyValues("management.health.sagaflow.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean("sagaflowHealthIndicator"));
    runner.withPropertyValues("sagaflow.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(SagaflowContainer.class)
            .doesNotHaveBean(SagaflowClusters.class));
  }

  @Test
  void withoutHealthSupportOrMicrometerTheRestStillWorks() {
    runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("sagaflowHealthIndicator")
            .hasSingleBean(SagaflowContainer.class));
    runner.withClassLoader(new FilteredClassLoader("io.micrometer"))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(MetricsBinding.class)
            .hasSingleBean(SagaflowContainer.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class ReturningListener {
    @Bean
    Returning returning() {
      return new Returning();
    }
  }

  static class Returning {
    @SagaflowListener(topics = "t", groupId = "g")
    String handle(String value) {
      return value;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UnknownPolicyListener {
    @Bean
    FastListener fastListener() {
      return new FastListener();
    }
  }

  static class FastListener {
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @SagaflowListener(topics = "t", groupId = "g", retry = "fast")
    void handle(String value) {
      seen.add(value);
    }
  }
}
