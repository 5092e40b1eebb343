package io.sagaflow.spring.boot.example;

import io.sagaflow.embedded.EmbeddedKafka;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The purchases consumer as a Spring Boot application: {@link PurchaseListener} is a
 * {@code @SagaflowListener} bean, {@link PurchaseShop} produces the purchases and prints the
 * summary, the health and the metrics. Without {@code KAFKA_BOOTSTRAP_SERVERS} it starts an embedded
 * broker first, so it runs with no setup:
 *
 * <pre>
 * mvn -B -q -pl sagaflow-spring-boot-starter -am -Pboot-demo test-compile
 * </pre>
 *
 * <p>Everything Sagaflow-specific is in {@code application.properties}-style defaults below and in the
 * two beans; processors, recovery, drain on shutdown, health and metrics come from the starter.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class PurchasesBootApp {

  /** Runs the example; exits 0 when every purchase was consumed once and in order per user. */
  public static void main(String[] args) {
    String bootstrap = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    int purchases = Integer.parseInt(System.getenv().getOrDefault("PURCHASES", "500"));
    EmbeddedKafka kafka = null;
    if (bootstrap == null || bootstrap.isBlank()) {
      System.out.println("Starting an embedded Kafka broker (set KAFKA_BOOTSTRAP_SERVERS to use another)...");
      kafka = EmbeddedKafka.start();
      bootstrap = kafka.bootstrapServers();
    }
    int exit;
    try {
      exit = run(bootstrap, purchases, args);
    } finally {
      if (kafka != null) {
        kafka.close();
      }
    }
    System.exit(exit);
  }

  /** Runs the application against {@code bootstrap} until its summary; returns the exit code. */
  public static int run(String bootstrap, int purchases, String... args) {
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("spring.application.name", "purchases-boot");
    defaults.put("sagaflow.clusters.default.bootstrap-servers", bootstrap);
    defaults.put("sagaflow.processor.commit-interval", "200ms");
    // Purchases the shop declines go to purchases-dlt at once: no in-place retry, no retry topics.
    defaults.put("sagaflow.recovery.policies.decline.in-place-attempts", "1");
    defaults.put("sagaflow.recovery.policies.decline.retry-topic-delays", "");
    defaults.put("example.purchases", purchases);
    defaults.put("management.endpoint.health.show-details", "always");
    SpringApplication app = new SpringApplication(PurchasesBootApp.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.setDefaultProperties(defaults);
    try (ConfigurableApplicationContext context = app.run(args)) {
      return context.getBean(PurchaseShop.class).exitCode();
    } // close: the starter drains the listener and commits before the clients close
  }
}
