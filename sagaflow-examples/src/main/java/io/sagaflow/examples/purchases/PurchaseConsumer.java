package io.sagaflow.examples.purchases;

import io.sagaflow.kafka.KafkaCluster;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.processor.ProcessorStatus;

/**
 * The demo's consumer group: one Sagaflow {@link Processor} with {@code consumers} KafkaConsumers
 * (each its own poll thread and group member). Records run on virtual threads, one at a time per
 * user (KEY ordering); only finished records are committed, and a rebalance commits what finished
 * before partitions move, so the group consumes every purchase exactly once, in order per user.
 */
final class PurchaseConsumer implements AutoCloseable {
  private final Processor<String, byte[]> processor;
  private final PurchaseLedger ledger;
  private final Map<String, AtomicLong> perMember = new ConcurrentHashMap<>();

  PurchaseConsumer(KafkaCluster cluster, PurchaseDemoConfig config, PurchaseLedger ledger) {
    this.ledger = ledger;
    ProcessorOptions<String, byte[]> options = ProcessorOptions
        .create(cluster, config.groupId(), new StringDeserializer(), new ByteArrayDeserializer())
        .withTopics(config.topic())
        .withOrdering(Ordering.KEY)
        .withConsumers(config.consumers())
        .withCommitInterval(Duration.ofMillis(200))
        .withKafkaProperty("client.id", config.groupId());
    this.processor = Processor.forRecords(options, this::handle);
  }

  PurchaseConsumer start() {
    processor.start();
    return this;
  }

  private void handle(ProcessorRecord<String, byte[]> record) throws java.io.IOException {
    Purchase p = PurchaseDemo.JSON.readValue(record.value(), Purchase.class);
    if (ledger.run().equals(p.run())) {
      ledger.consumed(p);
      perMember.computeIfAbsent(member(record), m -> new AtomicLong()).incrementAndGet();
    }
  }

  private static String member(ProcessorRecord<?, ?> record) {
    String id = record.groupMetadata().memberId();
    return id == null || id.isEmpty() ? "member" : id;
  }

  /** Purchases of this run consumed, per group member (members named consumer-1, -2, ... in order of appearance). */
  Map<String, Long> consumedPerMember() {
    Map<String, Long> out = new java.util.LinkedHashMap<>();
    int i = 1;
    for (AtomicLong n : perMember.values()) {
      out.put("consumer-" + i++, n.get());
    }
    return out;
  }

  ProcessorStatus status() {
    return processor.status();
  }

  /** Waits until every consumer of the group has partitions, so that production meets a settled group. */
  void awaitAssigned(int partitions) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (processor.status().assignedPartitions().size() < partitions) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the consumer group got " + processor.status().assignedPartitions().size()
            + " of " + partitions + " partitions within 60 s");
      }
      Thread.sleep(20);
    }
  }

  void throwIfFailed() {
    ProcessorStatus s = processor.status();
    if (s.state() == ProcessorStatus.State.FAILED) {
      throw new IllegalStateException("the consumer group failed: " + s.lastError().map(Throwable::toString).orElse("?"));
    }
  }

  /** Drains in-flight records, commits what finished, closes. */
  @Override
  public void close() {
    processor.close(Duration.ofSeconds(30));
  }
}
