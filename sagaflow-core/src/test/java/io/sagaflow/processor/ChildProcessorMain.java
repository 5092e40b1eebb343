package io.sagaflow.processor;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A processor in a child JVM for crash tests. Appends "partition@offset" for every processed record
 * to a file. Args: bootstrap topic group outFile handlerSleepMs stopAfter (0 = run until killed).
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
              .withShutdownHook(true);
      Processor<String, String> processor = Processor.forRecords(options, r -> {
        if (sleepMs > 0) {
          Thread.sleep(sleepMs);
        }
        byte[] line = (r.partition() + "@" + r.offset() + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (file) {
          file.write(ByteBuffer.wrap(line));
        }
        processed.incrementAndGet();
      }).start();
      System.out.println("STARTED");
      if (stopAfter > 0) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (processed.get() < stopAfter && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        processor.close();
        System.out.println("PROCESSED=" + processed.get() + " STATE=" + processor.status().state());
        return;
      }
      processor.awaitTermination(Duration.ofMinutes(10));
    }
  }
}
