package io.sagaflow.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The systems the harness knows, by the name used on the command line and in RESULT lines.
 *
 * @param name          command-line and RESULT name
 * @param className     the {@link BenchSystem} implementation loaded in the child JVM
 * @param peerLibs      sub-directory of {@code target/peer-libs/} holding the system's own jars, if it has one
 * @param markerClass   a class of the system's library, to tell whether it is on a classpath
 */
record PeerSystem(String name, String className, Optional<String> peerLibs, String markerClass) {

  static final PeerSystem RAW =
      new PeerSystem("raw", "io.sagaflow.bench.RawSystem", Optional.empty(), "org.apache.kafka.clients.consumer.KafkaConsumer");
  /** Filled at integration: {@code SagaflowSystem} runs on the bench's own lib/ (sagaflow-core). */
  static final PeerSystem SAGAFLOW =
      new PeerSystem("sagaflow", "io.sagaflow.bench.SagaflowSystem", Optional.empty(), "io.sagaflow.processor.Processor");
  static final PeerSystem PARALLEL_CONSUMER = new PeerSystem(
      "parallel-consumer",
      "io.sagaflow.bench.ParallelConsumerSystem",
      Optional.of("parallel-consumer"),
      "io.confluent.parallelconsumer.ParallelStreamProcessor");
  static final PeerSystem SPRING = new PeerSystem(
      "spring",
      "io.sagaflow.bench.SpringSystem",
      Optional.of("spring"),
      "org.springframework.kafka.listener.ConcurrentMessageListenerContainer");

  static final List<PeerSystem> ALL = List.of(RAW, SAGAFLOW, PARALLEL_CONSUMER, SPRING);

  static PeerSystem named(String name) {
    return ALL.stream()
        .filter(s -> s.name.equals(name.trim()))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown system '" + name + "'; use any of "
            + Arrays.toString(ALL.stream().map(PeerSystem::name).toArray())));
  }

  static String classResource(String className) {
    return className.replace('.', '/') + ".class";
  }
}
