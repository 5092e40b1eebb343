package io.sagaflow.examples.pizza;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import com.fasterxml.jackson.databind.JsonNode;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.SagaRuntime;

/**
 * How the orders ended, counted from what a {@code read_committed} reader sees: one outcome per
 * order is right; none is a missing order, more than one a duplicate (a put repeated after a
 * crash).
 */
final class PizzaOutcomes {
  private PizzaOutcomes() {}

  /**
   * The order process started again with no new orders: every order ever placed on the broker
   * (read from the start of the order topic) is awaited until each has an outcome or {@code wait}
   * runs out, then the outcome topics are counted to their end.
   */
  static PizzaDemo.Summary finishEarlierOrders(ClusterOptions cluster, SagaRuntime runtime, Duration wait,
      PrintStream out) throws InterruptedException {
    try (KafkaCluster kafka = KafkaCluster.create(cluster);
        KafkaConsumer<byte[], byte[]> consumer = kafka.newConsumer("pizza-outcomes",
            Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      Set<String> placed = new java.util.LinkedHashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : readToEnd(consumer, List.of(PizzaTopics.ORDER_PLACED))) {
        placed.add(runtime.codec().decode(r).transactionId());
      }
      out.printf("resuming  %d orders placed before; waiting up to %d s for each to end%n", placed.size(),
          wait.toSeconds());
      Map<String, List<Action<JsonNode>>> outcomes = new HashMap<>();
      long deadline = System.nanoTime() + wait.toNanos();
      do {
        outcomes.clear();
        for (ConsumerRecord<byte[], byte[]> r : readToEnd(consumer,
            List.of(PizzaTopics.ORDER_COMPLETED, PizzaTopics.ORDER_FAILED))) {
          Action<JsonNode> a = runtime.codec().decode(r);
          outcomes.computeIfAbsent(a.transactionId(), k -> new ArrayList<>()).add(a);
        }
        if (outcomes.keySet().containsAll(placed)) {
          break;
        }
        Thread.sleep(500); // polling the topics again: the sagas finish at their own pace
      } while (System.nanoTime() < deadline);
      return summarize(placed, outcomes, out);
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readToEnd(KafkaConsumer<byte[], byte[]> consumer,
      List<String> topics) {
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : topics) {
      consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      consumer.poll(Duration.ofMillis(100)).forEach(records::add);
    }
    return records;
  }

  /** Counts and prints the outcomes of the orders {@code placed} (transaction ids). */
  static PizzaDemo.Summary summarize(Set<String> placed, Map<String, List<Action<JsonNode>>> outcomes,
      PrintStream out) {
    int delivered = 0;
    int missing = 0;
    int duplicates = 0;
    Map<String, String> failed = new TreeMap<>();
    for (String tx : placed) {
      List<Action<JsonNode>> ended = outcomes.getOrDefault(tx, List.of());
      if (ended.isEmpty()) {
        missing++;
        continue;
      }
      duplicates += ended.size() - 1;
      JsonNode p = ended.get(0).payload();
      if ("DELIVERED".equals(p.path("status").asText())) {
        delivered++;
      } else {
        failed.put(p.path("orderId").asText(), p.path("detail").asText());
      }
    }
    PizzaDemo.Summary s = new PizzaDemo.Summary(placed.size(), delivered, failed, missing, duplicates);
    out.println();
    out.println("Summary");
    out.printf("  placed     %d%n", s.placed());
    out.printf("  delivered  %d%n", s.delivered());
    out.printf("  failed     %d%s%n", failed.size(), failed.isEmpty() ? "" : "   " + failed);
    out.printf("  no outcome %d%n", s.missing());
    out.printf("  duplicates %d%n", s.duplicates());
    out.println(s.ok()
        ? "OK: every order ended once; the only failures are pizzas the oven refuses."
        : "FAILED: some orders did not end as expected.");
    return s;
  }
}
