package io.sagaflow.processor;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A processor in a child JVM for crash tests. Appends "partition@offset" for every processed record
 * to a file. Args: bootstrap topic group outFile handlerSleepMs stopAfter (0 = run until killed)
 * [hangAt [instanceId]]: the record at "partition@offset" ("-" for none) writes its line and then
 * never finishes, so that a kill always finds a record that ran but was not committed; with an
 * instance id the processor joins as a static member, so a restart takes its partitions back at once.
 */
public final class ChildProcessorMain {
  private ChildProcessorMain() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    Path out = Path.of(args[3]);
    long sleepMs = Long.parseLong(args[4]);
    int stopAfter = Integer.parseInt(args[5]);
    String hangAt = args.length > 6 ? args[6] : "-";
    String instanceId = args.length > 7 ? args[7] : null;
    boolean micrometer;
    try {
      Class.forName("io.micrometer.core.instrument.MeterRegistry");
      micrometer = true;
    } catch (ClassNotFoundException e) {
      micrometer = false;
    }
    System.out.println("MICROMETER=" + micrometer);
    AtomicInteger processed = new AtomicInteger();
    try (FileChannel file = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      ProcessorOptions<String, String> options =
          ProcessorOptions.create(bootstrap, group, new StringDeserializer(), new StringDeserializer())
              .withTopics(topic)
              .withOrdering(Ordering.KEY)
              .withMaxInFlight(20)
              .withCommitInterval(Duration.ofMillis(50))
              .withShutdownHook(true)
              .withInstanceId(instanceId);
      Processor<String, String> processor = Processor.forRecords(options, r -> {
        if (sleepMs > 0) {
          Thread.sleep(sleepMs); // part of the scenario: a handler that takes time
        }
        String at = r.partition() + "@" + r.offset();
        byte[] line = (at + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (file) {
          file.write(ByteBuffer.wrap(line));
        }
        if (at.equals(hangAt)) {
          Thread.sleep(Long.MAX_VALUE); // part of the scenario: ran, never finishes, killed in flight
        }
        processed.incrementAndGet();
      }).start();
      System.out.println("STARTED");
      if (stopAfter > 0) {
        try {
          Awaitility.await("processed " + stopAfter).atMost(Duration.ofSeconds(60))
              .until(() -> processed.get() >= stopAfter);
        } catch (ConditionTimeoutException e) {
          // closed all the same: the parent reads PROCESSED and fails on a short count
        }
        processor.close();
        System.out.println("PROCESSED=" + processed.get() + " STATE=" + processor.status().state());
        return;
      }
      processor.awaitTermination(Duration.ofMinutes(10));
    }
  }
}
