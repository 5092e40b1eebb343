package io.sagaflow.spring.boot.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.spring.boot.example.PurchaseListener.Purchase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.stereotype.Component;

/**
 * The shop: creates the topic, produces purchases keyed by user (about 2% over the limit, which the
 * listener declines), waits until each was consumed or dead-lettered, then prints the summary, the
 * actuator's {@code sagaflow} health and the Sagaflow meters of the application's registry.
 */
@Component
class PurchaseShop implements ApplicationRunner {
  private static final String[] ITEMS = {"coffee beans", "headphones", "notebook", "desk lamp", "backpack"};
  private final KafkaCluster cluster;
  private final PurchaseListener listener;
  private final HealthEndpoint health;
  private final MeterRegistry registry;
  private final int purchases;
  private final ObjectMapper json = new ObjectMapper();
  private int exitCode = 1;

  PurchaseShop(KafkaCluster cluster, PurchaseListener listener, HealthEndpoint health, MeterRegistry registry,
      @Value("${example.purchases:500}") int purchases) throws InterruptedException {
    this.cluster = cluster;
    this.listener = listener;
    this.health = health;
    this.registry = registry;
    this.purchases = purchases;
    // Before the context is ready (and the listener starts): 6 partitions, so purchases spread over them.
    try {
      cluster.admin().createTopics(List.of(new NewTopic("purchases", 6, (short) 1))).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic purchases: " + e.getCause(), e.getCause());
      }
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot create topic purchases within 30 s: is Kafka at "
          + cluster.options().bootstrapServers() + "?", e);
    }
  }

  @Override
  public void run(ApplicationArguments args) throws Exception {
    Random random = new Random(42);
    long[] seq = new long[50];
    long declined = 0;
    List<CompletableFuture<?>> acks = new ArrayList<>();
    for (int i = 0; i < purchases; i++) {
      int user = random.nextInt(seq.length);
      long cents = random.nextInt(50) == 0 ? 99_999 : 100 + random.nextInt(20_000);
      declined += cents > 50_000 ? 1 : 0;
      Purchase p = new Purchase("p-" + i, "user-" + user, ITEMS[random.nextInt(ITEMS.length)], cents, ++seq[user]);
      acks.add(cluster.producer().send("purchases", p.userId().getBytes(StandardCharsets.UTF_8), json.writeValueAsBytes(p)));
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    System.out.printf("produced %d purchases for %d users%n", purchases, seq.length);

    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (listener.consumed.get() + deadLettered() < purchases && System.nanoTime() < deadline) {
      Thread.sleep(100); // a progress loop, not synchronization: it prints nothing until done
    }
    long consumed = listener.consumed.get();
    long dead = (long) deadLettered();
    System.out.printf("%nSummary%n  produced       %d%n  consumed       %d%n  dead-lettered  %d   (declined"
        + " over 50000 cents, written to purchases-dlt)%n  duplicates     %d%n  out of order   %d%n",
        purchases, consumed, dead, listener.duplicates.get(), listener.outOfOrder.get());

    HealthDescriptor h = health.healthForPath("sagaflow");
    System.out.printf("%nHealth (actuator, sagaflow): %s%n", h == null ? "missing" : h.getStatus());
    if (h instanceof IndicatedHealthDescriptor indicated) {
      System.out.println("  " + indicated.getDetails());
    }
    System.out.printf("%nMetrics (bound by the starter, no code)%n");
    registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("sagaflow."))
        .filter(m -> m instanceof Counter)
        .forEach(m -> System.out.printf("  %s%s %.0f%n", m.getId().getName(), m.getId().getTags(), ((Counter) m).count()));

    boolean ok = consumed + dead == purchases && dead == declined && listener.duplicates.get() == 0
        && listener.outOfOrder.get() == 0 && h != null && "UP".equals(h.getStatus().getCode());
    System.out.println(ok ? "%nOK: every purchase was consumed once and in order per user, or dead-lettered.".formatted()
        : "%nFAILED: see the summary above.".formatted());
    exitCode = ok ? 0 : 1;
  }

  private double deadLettered() {
    Counter c = registry.find("sagaflow.recovery.dead.lettered").tag("topic", "purchases").counter();
    return c == null ? 0 : c.count();
  }

  int exitCode() {
    return exitCode;
  }
}
