package io.sagaflow.examples.pizza;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.kafka.TopicAdministrator;
import io.sagaflow.kafka.TopicDefaults;
import io.sagaflow.kafka.TopicSpec;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import com.fasterxml.jackson.databind.JsonNode;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.DurableOptions;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaMiddleware;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;

/**
 * The pizza demo: three sagas (order, kitchen, delivery), each with its own saga runtime as if
 * deployed separately, talking over Kafka topics. A customer places orders; the demo prints every
 * put as it happens and ends with each order's outcome.
 *
 * <p>With {@link Role#ALL} everything runs here; with one role, only that saga runs (start the
 * kitchen and delivery in other processes against the same broker), and the order role also
 * places the orders.
 */
public final class PizzaDemo {
  private static final String[] PIZZAS = {"margherita", "funghi", "quattro formaggi", "diavola", "pineapple"};

  /** Which sagas this process runs. */
  public enum Role { ALL, ORDER, KITCHEN, DELIVERY }

  /**
   * Settings of the demo.
   *
   * @param cluster Kafka to use (bootstrap servers, security), or {@code null} for an embedded broker
   * @param role which sagas to run here
   * @param orders orders to place (order and all roles)
   * @param interval time between two orders
   * @param oven how long the oven bakes, at most (at least a third of it)
   * @param drive how long a delivery takes
   * @param timeout how long the order saga waits for the kitchen and for the driver
   * @param durable whether the saga consumers are durable (journaled: a killed process resumes its
   *     sagas when it starts again)
   */
  public record Config(ClusterOptions cluster, Role role, int orders, Duration interval, Duration oven,
      Duration drive, Duration timeout, boolean durable) {
    public Config {
      if (orders < 0 || (orders == 0 && !(durable && cluster != null && (role == Role.ORDER || role == Role.ALL)))) {
        throw new IllegalArgumentException("orders (" + orders + ") must be at least 1; 0 (place none, finish the"
            + " orders placed before) needs --durable, --bootstrap-servers and the order role");
      }
      if (role != Role.ALL && role != null && cluster == null) {
        throw new IllegalArgumentException("--role " + role.name().toLowerCase(Locale.ROOT)
            + " runs one saga of a demo spread over processes: give them all the same --bootstrap-servers"
            + " (for example of a `sagaflow broker`)");
      }
    }

    /** Not durable. */
    public Config(ClusterOptions cluster, Role role, int orders, Duration interval, Duration oven, Duration drive,
        Duration timeout) {
      this(cluster, role, orders, interval, oven, drive, timeout, false);
    }

    /** Everything in this process on an embedded broker: 10 orders, one every 150 ms. */
    public static Config defaults() {
      return new Config(null, Role.ALL, 10, Duration.ofMillis(150), Duration.ofMillis(400),
          Duration.ofMillis(200), Duration.ofSeconds(10));
    }

    /** This configuration with durable saga consumers, or not. */
    public Config withDurable(boolean durable) {
      return new Config(cluster, role, orders, interval, oven, drive, timeout, durable);
    }
  }

  /**
   * How the orders ended.
   *
   * @param placed orders placed
   * @param delivered orders delivered
   * @param failed orders that failed, with why
   * @param missing orders with no outcome before the deadline
   * @param duplicates outcomes beyond the first of an order (0 when every order ended once)
   */
  public record Summary(int placed, int delivered, Map<String, String> failed, int missing, int duplicates) {
    /** Every order ended once, and only the pineapple ones failed (the oven refuses them, on purpose). */
    public boolean ok() {
      return missing == 0 && duplicates == 0 && failed.values().stream().allMatch(r -> r.contains("refuses"));
    }
  }

  private PizzaDemo() {}

  /** Runs the demo and returns how the orders ended; for the kitchen and delivery roles, runs until interrupted. */
  public static Summary run(Config config, PrintStream out) throws InterruptedException {
    EmbeddedKafka embedded = null;
    ClusterOptions cluster = config.cluster();
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      out.println("Sagaflow demo: pizza (three sagas talking over Kafka)");
      if (cluster == null) {
        long t0 = System.nanoTime();
        embedded = EmbeddedKafka.start();
        cluster = ClusterOptions.of("embedded", embedded.bootstrapServers());
        out.printf(Locale.ROOT, "  broker  embedded Kafka at %s (ready in %.1f s)%n", cluster.bootstrapServers(),
            (System.nanoTime() - t0) / 1e9);
      } else {
        out.printf("  broker  %s (%s)%n", cluster.bootstrapServers(), cluster.securityProtocol());
      }
      createTopics(cluster);
      Role role = config.role();
      List<SagaConsumer> consumers = new ArrayList<>();
      if (role == Role.ALL || role == Role.KITCHEN) {
        SagaRuntime kitchen = runtime(cluster, "kitchen", config, out, resources);
        consumers.add(kitchen.consumer(PizzaTopics.CREATE_BEGIN, PizzaOrder.class,
            new KitchenSaga(Oven.demo(config.oven().dividedBy(3), config.oven())), group("pizza-kitchen", config)));
      }
      if (role == Role.ALL || role == Role.DELIVERY) {
        SagaRuntime delivery = runtime(cluster, "delivery", config, out, resources);
        consumers.add(delivery.consumer(PizzaTopics.DELIVER_BEGIN, Pizza.class, new DeliverySaga(config.drive()),
            group("pizza-delivery", config)));
      }
      SagaRuntime order = null;
      if (role == Role.ALL || role == Role.ORDER) {
        order = runtime(cluster, "order", config, out, resources);
        consumers.add(order.consumer(PizzaTopics.ORDER_PLACED, PizzaOrder.class,
            new OrderSaga(config.timeout(), config.timeout()), group("pizza-order", config)));
      }
      consumers.forEach(c -> resources.add(0, c));
      out.println("  sagas   starting (waiting for their partitions)...");
      awaitAssigned(consumers);
      out.printf("  sagas   %s running%s%n", role == Role.ALL ? "order, kitchen and delivery" : role.name().toLowerCase(Locale.ROOT),
          config.durable() ? ", durable (journals *" + DurableOptions.JOURNAL_SUFFIX + ")" : "");
      out.println();
      if (order == null) {
        out.println("Waiting for work; Ctrl-C to stop.");
        new CountDownLatch(1).await();
        return new Summary(0, 0, Map.of(), 0, 0);
      }
      if (config.orders() == 0) {
        return PizzaOutcomes.finishEarlierOrders(cluster, order, config.timeout().multipliedBy(2).plusSeconds(10), out);
      }
      return placeOrders(cluster, order, config, out);
    } finally {
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception e) {
          out.println("closing " + r + " failed: " + e);
        }
      }
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private static Summary placeOrders(ClusterOptions cluster, SagaRuntime order, Config config, PrintStream out)
      throws InterruptedException {
    Map<String, String> txToOrder = new ConcurrentHashMap<>();
    Map<String, List<Action<JsonNode>>> outcomes = new ConcurrentHashMap<>();
    AtomicBoolean watching = new AtomicBoolean(true);
    CountDownLatch positioned = new CountDownLatch(1);
    Thread watcher = Thread.ofPlatform().name("pizza-outcomes").start(() ->
        watchOutcomes(cluster, order, outcomes, watching, positioned));
    try {
      if (!positioned.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the outcome reader did not start within 30 s");
      }
      for (int i = 1; i <= config.orders(); i++) {
        PizzaOrder o = new PizzaOrder(String.format(Locale.ROOT, "order-%03d", i), PIZZAS[(i - 1) % PIZZAS.length],
            i + " Harbour Street");
        String tx = order.start(PizzaTopics.ORDER_PLACED, o);
        txToOrder.put(tx, o.orderId());
        out.printf("customer  placed %s: %s (transaction %s)%n", o.orderId(), o.pizza(), shortId(tx));
        Thread.sleep(config.interval().toMillis());
      }
      long deadline = System.nanoTime() + config.timeout().multipliedBy(2).plusSeconds(5).toNanos();
      // Progress while the last orders finish: a line whenever the count changes, at most once a second.
      int reported = -1;
      long nextReport = 0;
      while (!outcomes.keySet().containsAll(txToOrder.keySet()) && System.nanoTime() < deadline) {
        int ended = outcomes.size();
        if (ended != reported && System.nanoTime() >= nextReport) {
          out.printf("progress  %d of %d orders ended%n", ended, txToOrder.size());
          reported = ended;
          nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        }
        Thread.sleep(20);
      }
    } finally {
      watching.set(false);
      watcher.join(Duration.ofSeconds(10));
    }
    return PizzaOutcomes.summarize(txToOrder.keySet(), outcomes, out);
  }

  /** Reads order outcomes from the end of their topics, positioned before the first order is placed. */
  private static void watchOutcomes(ClusterOptions cluster, SagaRuntime runtime,
      Map<String, List<Action<JsonNode>>> outcomes,
      AtomicBoolean watching, CountDownLatch positioned) {
    try (KafkaCluster kafka = KafkaCluster.create(cluster);
        KafkaConsumer<byte[], byte[]> consumer = kafka.newConsumer("pizza-outcomes",
            Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(PizzaTopics.ORDER_COMPLETED, PizzaTopics.ORDER_FAILED)) {
        consumer.partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(pi -> partitions.add(new TopicPartition(topic, pi.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
      positioned.countDown();
      while (watching.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          Action<JsonNode> a = runtime.codec().decode(r);
          outcomes.computeIfAbsent(a.transactionId(), k -> new CopyOnWriteArrayList<>()).add(a);
        }
      }
    }
  }

  private static SagaConsumerOptions group(String group, Config config) {
    SagaConsumerOptions options = SagaConsumerOptions.of(group);
    // One process per group and role: a stable instance id lets a restarted (kill -9) process take
    // its partitions back at once, and abort the journal transaction the killed one left open.
    return config.durable() ? options.withDurable(DurableOptions.defaults().withInstanceId("pizza-demo")) : options;
  }

  private static SagaRuntime runtime(ClusterOptions cluster, String role, Config config, PrintStream out,
      List<AutoCloseable> resources) {
    SagaMiddleware narrate = chain -> {
      if (chain.effect() instanceof Put put) {
        out.printf("%-9s put %-22s (transaction %s)%n", role, put.topic(), shortId(chain.context().transactionId()));
      }
      return chain.proceed(chain.effect());
    };
    SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults()
        .withCluster(cluster)
        .withKafkaProperty("client.id", "pizza-" + role)
        // A process killed with kill -9 leaves its group after this (Kafka's default: 45 s); a
        // restarted one gets the partitions, and so its sagas, back no sooner.
        .withKafkaProperty("session.timeout.ms", config.durable() ? "10000" : "45000")
        .withMiddleware(narrate));
    resources.add(runtime);
    return runtime;
  }

  private static void awaitAssigned(List<SagaConsumer> consumers) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!consumers.stream().allMatch(SagaConsumer::isAssigned)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the saga consumers got no partitions within 60 s");
      }
      Thread.sleep(20);
    }
  }

  private static void createTopics(ClusterOptions cluster) {
    try (KafkaCluster kafka = KafkaCluster.create(cluster)) {
      kafka.verifyReachable(Duration.ofSeconds(10));
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + " (check --bootstrap-servers and --command-config,"
          + " or leave them unset to run an embedded broker)", e);
    }
    // Six partitions per topic, one per dead-letter topic (<topic>-dlt, the saga consumers' default).
    TopicDefaults defaults = TopicDefaults.of(6);
    List<String> names = new ArrayList<>(PizzaTopics.ALL);
    for (String t : Set.of(PizzaTopics.ORDER_PLACED, PizzaTopics.CREATE_BEGIN, PizzaTopics.DELIVER_BEGIN)) {
      defaults = defaults.withTopic(TopicSpec.of(t + SagaConsumerOptions.DEAD_LETTER_SUFFIX, 1));
      names.add(t + SagaConsumerOptions.DEAD_LETTER_SUFFIX);
    }
    try (TopicAdministrator topics = TopicAdministrator.create(cluster, defaults)) {
      topics.ensureTopics(names.toArray(String[]::new));
    }
  }


  private static String shortId(String transactionId) {
    return transactionId.length() > 8 ? transactionId.substring(0, 8) : transactionId;
  }
}
