package io.sagaflow.examples.purchases;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of the demo's consumer group, on its own thread. It processes each record before
 * committing its offset, and commits synchronously when partitions are revoked and on stop, so
 * a rebalance hands the next owner exactly where this one stopped.
 */
final class PurchaseConsumer {
  private final String name;
  private final KafkaConsumer<String, byte[]> consumer;
  private final PurchaseDemoConfig config;
  private final PurchaseLedger ledger;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong consumed = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private final Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();
  private Thread thread;

  PurchaseConsumer(String name, String bootstrap, PurchaseDemoConfig config, PurchaseLedger ledger) {
    this.name = name;
    this.config = config;
    this.ledger = ledger;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId() + "-" + name);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  String name() {
    return name;
  }

  long consumed() {
    return consumed.get();
  }

  void start() {
    thread = Thread.ofPlatform().name("purchase-" + name).start(this::loop);
  }

  void throwIfFailed() {
    Exception e = failure.get();
    if (e != null) {
      throw new IllegalStateException(name + " failed: " + e.getMessage(), e);
    }
  }

  void stop() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    try {
      consumer.subscribe(List.of(config.topic()), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          commitProcessed();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
      });
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          Purchase p = PurchaseDemo.JSON.readValue(r.value(), Purchase.class);
          if (ledger.run().equals(p.run())) {
            ledger.consumed(p);
            consumed.incrementAndGet();
          }
          processed.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        if (!processed.isEmpty()) {
          consumer.commitAsync(Map.copyOf(processed), null);
          processed.clear();
        }
      }
    } catch (WakeupException e) {
      // stop() asked us to leave the poll
    } catch (Exception e) {
      failure.set(e);
    } finally {
      try {
        commitProcessed();
      } finally {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
      }
    }
  }

  private void commitProcessed() {
    if (!processed.isEmpty()) {
      consumer.commitSync(Map.copyOf(processed));
      processed.clear();
    } else {
      // An async commit may still be in flight; make it land before the partitions move.
      consumer.commitSync(Map.of());
    }
  }
}
