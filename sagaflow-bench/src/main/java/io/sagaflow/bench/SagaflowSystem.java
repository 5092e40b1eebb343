package io.sagaflow.bench;

import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Sagaflow Processor in KEY ordering with {@code maxInFlight} = the scenario's max in flight, other options
 * at their defaults.
 *
 * <p>It runs on the bench's own {@code lib/}, and its commits are observed like every other
 * system's, by the {@link CommitInterceptor} passed in the Kafka properties.
 */
final class SagaflowSystem implements BenchSystem {
  private Processor<String, byte[]> processor;

  @Override
  public boolean observesCommits() {
    return true;
  }

  @Override
  public void start(BenchContext context) {
    // (1) options: bootstrap, group id, deserializers, topics, ordering KEY, maxInFlight, the commit interceptor
    ProcessorOptions<String, byte[]> options = ProcessorOptions
        .create(context.bootstrapServers(), context.groupId(), new StringDeserializer(), new ByteArrayDeserializer())
        .withTopics(context.topic())
        .withOrdering(Ordering.KEY)
        .withMaxInFlight(context.maxInFlight())
        .withKafkaProperty("auto.offset.reset", "earliest")
        .withKafkaProperty(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, CommitInterceptor.class.getName());
    // (2) the handler: every system calls the same BenchContext.handle
    processor = Processor.forRecords(options, record -> context.handle(record.partition(), record.offset()));
    processor.start();
  }

  @Override
  public void stop() {
    if (processor != null) {
      processor.close(Duration.ofSeconds(20)); // (3) drain in flight, commit, close
    }
  }
}
