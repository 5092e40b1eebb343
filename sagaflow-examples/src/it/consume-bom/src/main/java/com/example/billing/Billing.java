package com.example.billing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;

/** The README's Processor example ("The Processor"), with the types it leaves to the reader. */
public final class Billing {
  /** An order, as the README's example consumes it. */
  public record Order(String text) {}

  /** Reads an order from UTF-8 text. */
  public static final class OrderDeserializer implements Deserializer<Order> {
    @Override
    public Order deserialize(String topic, byte[] data) {
      return data == null ? null : new Order(new String(data, StandardCharsets.UTF_8));
    }
  }

  private Billing() {}

  static void bill(String customer, Order order) {
    System.out.println("billing " + customer + " for " + order);
  }

  /**
   * Consumes orders until the processor stops.
   *
   * @param args unused
   * @throws InterruptedException when interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    ProcessorOptions<String, Order> options = ProcessorOptions
        .create("127.0.0.1:9092", "billing", new StringDeserializer(), new OrderDeserializer())
        .withTopics("orders")
        .withOrdering(Ordering.KEY)          // one record at a time per key, any number of keys at once
        .withMaxInFlight(10_000)             // bound on records fetched but not finished
        .withConsumers(3);                   // three KafkaConsumers, each with its own poll thread
    try (Processor<String, Order> processor =
            Processor.forRecords(options, record -> bill(record.key(), record.value())).start()) {
      while (!processor.awaitTermination(Duration.ofMinutes(1))) {
        System.out.println(processor.status());
      }
    } // close(): stop polling, let in-flight records finish, commit, close
  }
}
