package io.sagaflow.bench;

import java.nio.file.Files;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * One copying system of {@code bench eos}, in its own JVM: copies every record of the input topic
 * to the output topic until SIGTERM. Prints {@code READY} once it runs.
 *
 * <p>Arguments: system, bootstrap servers, input topic, output topic, commit interval in ms.
 */
public final class EosChildMain {
  private EosChildMain() {}

  public static void main(String[] args) throws Exception {
    String system = args[0];
    String bootstrap = args[1];
    String input = args[2];
    String output = args[3];
    long commitIntervalMs = Long.parseLong(args[4]);
    switch (system) {
      case "kafka-streams-eos" -> kafkaStreams(bootstrap, input, output, commitIntervalMs);
      default -> throw new IllegalArgumentException("unknown eos system " + system);
    }
  }

  private static void kafkaStreams(String bootstrap, String input, String output, long commitIntervalMs)
      throws Exception {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench-eos-streams-" + System.nanoTime());
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
}
