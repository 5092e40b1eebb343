package io.sagaflow.bench;

import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Sagaflow Processor in KEY ordering with {@code maxInFlight} = the scenario's max in flight.
 *
 * <p>SLOT, NOT COMPILED YET. This file lives in {@code src/sagaflow-slot/java} so that the bench builds before
 * the Processor exists. To wire it in at integration:
 * <ol>
 *   <li>add {@code io.sagaflow:sagaflow-core} (no version, the parent manages it) to sagaflow-bench's pom;
 *   <li>{@code git mv sagaflow-bench/src/sagaflow-slot/java/io/sagaflow/bench/SagaflowSystem.java
 *       sagaflow-bench/src/main/java/io/sagaflow/bench/};
 *   <li>adjust the four marked lines below to the Processor's final API;
 *   <li>if the Processor can report acknowledged commits (a commit listener, or a Consumer it lets us wrap),
 *       call {@code context.committed(offsets)} from it and return {@code true} from {@link #observesCommits()}
 *       so that "done" means committed and p99 handler-to-commit is printed instead of {@code -}.
 * </ol>
 * Nothing else changes: {@link PeerSystem#SAGAFLOW} already names this class and
 * {@code io.sagaflow.processor.Processor} as its marker, and it runs on the bench's own {@code lib/}.
 */
final class SagaflowSystem implements BenchSystem {
  private Processor<String, byte[]> processor;

  @Override
  public boolean observesCommits() {
    return false; // (1) true once commits can be observed, see above
  }

  @Override
  public void start(BenchContext context) {
    // (2) options: bootstrap, topics, group id, ordering KEY, maxInFlight, deserializers
    ProcessorOptions<String, byte[]> options = ProcessorOptions
        .create(context.bootstrapServers(), context.groupId(), List.of(context.topic()),
            new StringDeserializer(), new ByteArrayDeserializer())
        .withOrdering(Ordering.KEY)
        .withMaxInFlight(context.maxInFlight());
    // (3) the handler: every system calls the same BenchContext.handle
    processor = Processor.create(options, record -> context.handle(record.partition(), record.offset()));
    processor.start();
  }

  @Override
  public void stop() {
    if (processor != null) {
      processor.close(Duration.ofSeconds(20)); // (4) close (drain in flight, commit, close)
    }
  }
}
