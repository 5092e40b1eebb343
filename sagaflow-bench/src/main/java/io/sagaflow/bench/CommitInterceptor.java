package io.sagaflow.bench;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Observes every system's offset commits at the same point: the Kafka client calls
 * {@link #onCommit} when the broker acknowledged a commit (sync or async, whoever issued it).
 *
 * <p>Every system is configured with {@code interceptor.classes} = this class through the consumer properties it
 * accepts anyway ({@link BenchContext#consumerProperties()}), so no system needs a commit hook of its own and none
 * sees a wrapped consumer. The client instantiates the interceptor itself, so it reaches the run's
 * {@link BenchContext} through a static field; that is sound because a child JVM runs exactly one system.
 */
public final class CommitInterceptor implements ConsumerInterceptor<Object, Object> {
  private static volatile BenchContext target;

  /** Public no-argument constructor: the Kafka client instantiates interceptors by class name. */
  public CommitInterceptor() {}

  static void observeFor(BenchContext context) {
    target = context;
  }

  @Override
  public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    BenchContext context = target;
    if (context != null) {
      context.committed(offsets);
    }
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
