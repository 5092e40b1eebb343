package io.sagaflow.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The baseline: one {@link KafkaConsumer} on one thread, handling each polled record in turn and committing
 * the batch asynchronously after it. Its concurrency is one record at a time, whatever the partition count.
 */
final class RawSystem implements BenchSystem {
  private volatile boolean running = true;
  private Thread thread;
  private KafkaConsumer<String, byte[]> consumer;

  @Override
  public boolean observesCommits() {
    return true;
  }

  @Override
  public void start(BenchContext context) {
    consumer = new KafkaConsumer<>(context.consumerProperties());
    consumer.subscribe(List.of(context.topic()));
    thread = Thread.ofPlatform().name("raw-poll-loop").start(() -> pollLoop(context));
  }

  private void pollLoop(BenchContext context) {
    try {
      while (running) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
          context.handle(record);
          offsets.put(
              new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
          if (!running) {
            break;
          }
        }
        // The broker's acknowledgement reaches the tracker through CommitInterceptor.
        consumer.commitAsync(offsets, null);
      }
    } catch (WakeupException e) {
      // close() asked us to stop
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  @Override
  public void stop() throws InterruptedException {
    running = false;
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      thread.join(15_000);
    }
  }
}
