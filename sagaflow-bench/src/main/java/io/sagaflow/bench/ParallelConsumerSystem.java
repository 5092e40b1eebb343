package io.sagaflow.bench;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Confluent Parallel Consumer in KEY ordering, {@code maxConcurrency} = the scenario's max in flight, periodic
 * asynchronous consumer commits (its default).
 */
final class ParallelConsumerSystem implements BenchSystem {
  private ParallelStreamProcessor<String, byte[]> processor;

  @Override
  public boolean observesCommits() {
    return true;
  }

  @Override
  public void start(BenchContext context) {
    Consumer<String, byte[]> consumer = new KafkaConsumer<>(context.consumerProperties());
    ParallelConsumerOptions<String, byte[]> options = ParallelConsumerOptions.<String, byte[]>builder()
        .consumer(consumer)
        .ordering(ProcessingOrder.KEY)
        .maxConcurrency(context.maxInFlight())
        .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
        .build();
    processor = ParallelStreamProcessor.createEosStreamProcessor(options);
    processor.subscribe(List.of(context.topic()));
    processor.poll(pollContext -> pollContext.streamConsumerRecords().forEach(context::handle));
  }

  @Override
  public void stop() {
    if (processor != null) {
      processor.close();
    }
  }
}
