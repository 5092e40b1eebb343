package io.sagaflow.eos;

import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A child JVM that copies {@code in} to {@code out} exactly once, with a handler that fails {@code
 * failPercent}% of its first attempts after sending and sleeps {@code sleepMs} per record.
 *
 * <p>Args: bootstrap in out group transactionalIdPrefix failPercent sleepMs sessionTimeoutMs
 */
public final class EosCopyMain {
  private EosCopyMain() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String in = args[1];
    String out = args[2];
    String group = args[3];
    String prefix = args[4];
    int failPercent = Integer.parseInt(args[5]);
    long sleepMs = Long.parseLong(args[6]);
    int sessionTimeoutMs = Integer.parseInt(args[7]);
    AtomicBoolean first = new AtomicBoolean();
    ProcessorOptions<byte[], byte[]> options = ProcessorOptions
        .create(bootstrap, group, new ByteArrayDeserializer(), new ByteArrayDeserializer())
        .withTopics(in)
        .withOrdering(Ordering.KEY)
        .withCommitInterval(Duration.ofMillis(100))
        .withShutdownHook(true)
        .withKafkaProperty("session.timeout.ms", sessionTimeoutMs)
        .withKafkaProperty("heartbeat.interval.ms", Math.max(500, sessionTimeoutMs / 6))
        .withExactlyOnce(ExactlyOnce.defaults()
            .withTransactionalIdPrefix(prefix)
            .withMaxRecordsPerTransaction(2000)
            .withTransactionTimeout(Duration.ofSeconds(5)));
    Processor<byte[], byte[]> processor = Processor.forRecords(options, r -> {
      if (first.compareAndSet(false, true)) {
        System.out.println("PROCESSING");
      }
      r.send(new ProducerRecord<>(out, r.key(), r.value()));
      if (sleepMs > 0) {
        Thread.sleep(sleepMs); // part of the scenario: a handler that takes time (so a zombie has work open)
      }
      if (failPercent > 0 && ThreadLocalRandom.current().nextInt(100) < failPercent) {
        throw new IllegalStateException("injected failure after a send");
      }
    }).start();
    System.out.println("STARTED");
    new CountDownLatch(1).await(); // until killed or SIGTERM (the shutdown hook closes the processor)
    processor.close();
  }
}
