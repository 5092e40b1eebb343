package io.sagaflow.bench;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;

/**
 * One copying system of {@code bench eos}, in its own JVM: copies every record of the input topic
 * to the output topic until SIGTERM. Prints {@code READY} once its partitions are assigned and it
 * can process (Kafka Streams: state RUNNING; Sagaflow: the processor holds its partitions).
 *
 * <p>Arguments: system, bootstrap servers, input topic, output topic, commit interval in ms, group
 * id (Kafka Streams: application id), then for the Sagaflow systems: max in flight (also per
 * partition), max records per transaction (sagaflow-eos only), producer linger.ms.
 */
public final class EosChildMain {
  private EosChildMain() {}

  public static void main(String[] args) throws Exception {
    String system = args[0];
    String bootstrap = args[1];
    String input = args[2];
    String output = args[3];
    long commitIntervalMs = Long.parseLong(args[4]);
    String groupId = args[5];
    switch (system) {
      case "kafka-streams-eos" -> kafkaStreams(bootstrap, input, output, commitIntervalMs, groupId);
      case "sagaflow-eos", "sagaflow-alos" -> sagaflow(system.equals("sagaflow-eos"), bootstrap, input, output,
          commitIntervalMs, groupId, Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]));
      default -> throw new IllegalArgumentException("unknown eos system " + system);
    }
  }

  private static void kafkaStreams(String bootstrap, String input, String output, long commitIntervalMs,
      String applicationId) throws Exception {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("bench-streams").toString());
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    CountDownLatch running = new CountDownLatch(1);
    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
    streams.start();
    running.await();
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await();
  }

  /**
   * The Sagaflow Processor copying with a no-op transform: {@code sagaflow-eos} in exactly-once
   * mode (sends join the transaction that commits the offsets), {@code sagaflow-alos} at least
   * once (idempotent producer; a record finishes once its send is acknowledged).
   */
  private static void sagaflow(boolean exactlyOnce, String bootstrap, String input, String output,
      long commitIntervalMs, String groupId, int maxInFlight, int maxRecordsPerTransaction, int lingerMs)
      throws Exception {
    Map<String, Object> producer = new HashMap<>();
    producer.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    ProcessorOptions<byte[], byte[]> opts =
        ProcessorOptions.create(bootstrap, groupId, new ByteArrayDeserializer(), new ByteArrayDeserializer())
            .withTopics(input)
            .withOrdering(Ordering.KEY)
            .withCommitInterval(Duration.ofMillis(commitIntervalMs))
            .withMaxInFlight(maxInFlight)
            .withMaxInFlightPerPartition(maxInFlight)
            .withProducerProperties(producer)
            .withShutdownHook(true);
    if (exactlyOnce) {
      opts = opts.withExactlyOnce(ExactlyOnce.defaults().withMaxRecordsPerTransaction(maxRecordsPerTransaction));
    }
    Processor<byte[], byte[]> processor =
        Processor.forRecords(opts, r -> r.send(new ProducerRecord<>(output, r.key(), r.value()))).start();
    while (processor.status().assignedPartitions().isEmpty()) {
      if (processor.awaitTermination(Duration.ofMillis(1))) {
        throw new IllegalStateException("the processor stopped before it was assigned partitions: "
            + processor.status().lastError().map(Throwable::toString).orElse("no error"));
      }
    }
    System.out.println("READY");
    System.out.flush();
    processor.awaitTermination(Duration.ofDays(1));
  }
}
