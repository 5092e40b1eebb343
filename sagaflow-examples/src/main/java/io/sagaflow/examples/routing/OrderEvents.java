package io.sagaflow.examples.routing;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.recovery.DeadLetter;
import io.sagaflow.recovery.DeadLetterFilter;
import io.sagaflow.recovery.DeadLetters;
import io.sagaflow.recovery.DeadLettersOptions;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.routing.EventRouter;

/**
 * Event routing on a Processor, exactly once: order events go to typed handlers, each created
 * order requests an invoice in the same transaction, and an event nobody handles lands in {@code
 * orders-dlt} with the reason.
 *
 * <pre>{@code
 * OrderEvents.Result r = OrderEvents.run(bootstrap, System.out);
 * }</pre>
 */
public final class OrderEvents {
  /** The data of an {@code OrderCreated} event. */
  public record OrderCreated(String orderId, int quantity) {}

  /**
   * What the example saw.
   *
   * @param handled one line per handled event, in order
   * @param deadLetters one line per dead letter: the exception class and message
   */
  public record Result(List<String> handled, List<String> deadLetters) {}

  static final String ORDERS = "orders";
  static final String INVOICES = "invoices";

  private OrderEvents() {}

  /** Runs on an embedded broker. */
  public static void main(String[] args) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      run(kafka.bootstrapServers(), System.out);
    }
  }

  /**
   * Produces four order events to {@code orders}, routes them, and reports what happened. Expects
   * a broker on which {@code orders} is new or empty ({@link #main} starts an embedded one).
   */
  public static Result run(String bootstrap, PrintStream out) throws Exception {
    try (KafkaCluster cluster = KafkaCluster.create(ClusterOptions.of("orders", bootstrap))) {
      return run(cluster, out);
    }
  }

  /** {@link #run(String, PrintStream)} on a cluster handle: every part connects with its options. */
  public static Result run(KafkaCluster cluster, PrintStream out) throws Exception {
    produce(cluster, List.of(
        new String[] {"o-1", "{\"event\":\"OrderCreated\",\"data\":{\"orderId\":\"o-1\",\"quantity\":2}}"},
        new String[] {"o-2", "{\"event\":\"OrderCreated\",\"data\":{\"orderId\":\"o-2\",\"quantity\":0}}"},
        new String[] {"o-1", "{\"event\":\"OrderCancelled\",\"data\":\"o-1\"}"},
        new String[] {"o-2", "{\"event\":\"OrderShipped\",\"data\":\"o-2\"}"})); // nobody handles it

    List<String> handled = new CopyOnWriteArrayList<>();
    EventRouter router = EventRouter.builder()
        .on("OrderCreated", OrderCreated.class, (order, ctx) -> {
          handled.add("created " + order.orderId() + " x" + order.quantity());
          // Joins the transaction that commits this record's offset.
          ctx.send(INVOICES, order.orderId(), Map.of("event", "InvoiceRequested", "data", order));
        })
        .on("OrderCancelled", String.class, (orderId, ctx) ->
            handled.add("cancelled " + orderId + " (attempt " + ctx.attempt() + ", " + ctx.metadata().get("service") + ")"))
        .metadata(() -> Map.of("service", "billing"))
        .build();

    try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(cluster, "billing"));
        Processor<byte[], byte[]> processor = Processor.forRecords(ProcessorOptions
            .create(cluster, "billing", new ByteArrayDeserializer(), new ByteArrayDeserializer())
            .withTopics(ORDERS)
            .withCommitInterval(Duration.ofMillis(100))
            .withExactlyOnce()
            .withFailureHandler(recovery), router.asRecordHandler()).start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (committed(processor) < 4) { // the dead letter is written before its record commits
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the four order events were not processed within 60 s");
        }
        Thread.sleep(20);
      }
    }

    List<String> dead = DeadLetters.create(DeadLettersOptions.of(cluster))
        .list(ORDERS + "-dlt", DeadLetterFilter.all()).stream()
        .map(OrderEvents::describe)
        .toList();
    handled.forEach(h -> out.println("handled: " + h));
    dead.forEach(d -> out.println("dead letter: " + d));
    return new Result(List.copyOf(handled), dead);
  }

  private static String describe(DeadLetter d) {
    return d.info().exceptionClass() + ": " + d.info().exceptionMessage();
  }

  private static long committed(Processor<?, ?> p) {
    return p.status().committedOffsets().values().stream().mapToLong(Long::longValue).sum();
  }

  private static void produce(KafkaCluster cluster, List<String[]> keyValues) {
    var p = cluster.producer().typed(new StringSerializer(), new ByteArraySerializer()); // shared, acks=all
    for (String[] kv : keyValues) {
      p.send(ORDERS, kv[0], kv[1].getBytes(StandardCharsets.UTF_8)).join();
    }
  }
}
