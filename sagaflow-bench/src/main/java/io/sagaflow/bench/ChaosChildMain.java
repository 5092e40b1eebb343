package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.sagaflow.processor.ExactlyOnce;
import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorOptions;
import io.sagaflow.processor.ProcessorStatus;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;

/**
 * The processor under test of {@code sagaflow chaos}, in a JVM of its own so that it can be
 * SIGKILLed: the Sagaflow Processor copying every record of the input topic to the output topic,
 * {@link Ordering#KEY}, exactly-once or at least once, with the processor's default settings
 * unless an argument says otherwise.
 *
 * <p>Arguments: mode ({@code eos} or {@code alos}), bootstrap servers, input topic, output topic,
 * group id, instance id (exactly-once: the transactional id prefix is {@code chaos-<instance>}, so a
 * restarted instance fences its predecessor's open transaction at once), {@code session.timeout.ms}
 * ({@code 0}: the Kafka default), and {@code dlt} or {@code -}. With {@code dlt} a record whose value
 * starts with {@code poison} fails, and {@link Recovery#handler} sends it straight to
 * {@code <input>-dlt} (one attempt, no retry topics).
 *
 * <p>Prints {@code READY} once it holds partitions, and every 500 ms a line
 * {@code STATUS t=<epoch ms> state=RUNNING assigned=3 inflight=12 paused=0 stalled=0 status_health=UP health=UP error=-}
 * (status_health: the processor's own; health: the recovery handler's, {@code -} without one; error: {@code
 * ProcessorStatus.lastError()} on one line, else its problems, {@code -} when neither). A
 * SIGTERM closes the processor gracefully (the JVM's exit status is then 143); the exit status is
 * 2 when the processor stops by itself ({@code FAILED}) or cannot start.
 */
public final class ChaosChildMain {
  private ChaosChildMain() {}

  public static void main(String[] args) throws Exception {
    // Rebalances (assigned, revoked, lost) are evidence when a run breaks its promise; they are few.
    System.setProperty("org.slf4j.simpleLogger.log.io.sagaflow.processor", "info");
    boolean exactlyOnce = switch (args[0]) {
      case "eos" -> true;
      case "alos" -> false;
      default -> throw new IllegalArgumentException("mode must be eos or alos, not " + args[0]);
    };
    String bootstrap = args[1];
    String input = args[2];
    String output = args[3];
    String group = args[4];
    String instance = args[5];
    int sessionTimeoutMs = Integer.parseInt(args[6]);
    boolean dlt = args[7].equals("dlt");
    boolean staticMember = args.length > 8 && args[8].equals("static");

    ProcessorOptions<byte[], byte[]> opts =
        ProcessorOptions.create(bootstrap, group, new ByteArrayDeserializer(), new ByteArrayDeserializer())
            .withTopics(input)
            .withOrdering(Ordering.KEY)
            // Well under the unreachable scenario's bound (15 s short, 30 s full), and short enough
            // that the short broker outage (10 s) shows DISCONNECTED for seconds; the default is 30 s.
            .withConnectionTimeout(Duration.ofSeconds(5));
    if (sessionTimeoutMs > 0) {
      opts = opts.withKafkaProperty("session.timeout.ms", sessionTimeoutMs)
          .withKafkaProperty("heartbeat.interval.ms", Math.max(100, sessionTimeoutMs / 3));
    }
    if (staticMember) {
      opts = opts.withInstanceId(instance);
    }
    if (exactlyOnce) {
      opts = opts.withExactlyOnce(ExactlyOnce.defaults().withTransactionalIdPrefix("chaos-" + instance));
    }
    RecoveryHandler recovery = null;
    if (dlt) {
      RetryPolicy policy = RetryPolicy.defaults().withRetryTopicDelays(List.of()).withInPlaceAttempts(1);
      recovery = Recovery.handler(RecoveryOptions.of(bootstrap, group).withPolicy(policy).withCreateTopics(false));
      opts = opts.withFailureHandler(recovery);
    }
    Processor<byte[], byte[]> processor;
    try {
      processor = Processor.forRecords(opts, r -> {
        if (r.value() != null && new String(r.value(), StandardCharsets.UTF_8).startsWith("poison")) {
          throw new IllegalStateException("poison record (chaos dlt-outage): goes to the dead-letter topic");
        }
        r.send(new ProducerRecord<>(output, r.key(), r.value()));
      }).start();
    } catch (RuntimeException e) {
      System.out.println("START-FAILED " + oneLine(e));
      System.out.flush();
      System.exit(2);
      return;
    }
    RecoveryHandler health = recovery;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      processor.close();
      if (health != null) {
        health.close();
      }
    }));
    boolean ready = false;
    while (true) {
      ProcessorStatus s = processor.status();
      if (!ready && !s.assignedPartitions().isEmpty()) {
        ready = true;
        System.out.println("READY");
      }
      System.out.printf(Locale.ROOT,
          "STATUS t=%d state=%s assigned=%d inflight=%d paused=%d stalled=%d status_health=%s health=%s error=%s%n",
          System.currentTimeMillis(), s.state(), s.assignedPartitions().size(), s.inFlight(),
          s.pausedPartitions().size(), s.stalledRecords().size(), s.health(), health == null ? "-" : health.health(),
          s.lastError().map(ChaosChildMain::oneLine)
              .orElse(s.problems().isEmpty() ? "-" : oneLine(String.join("; ", s.problems()))));
      System.out.flush();
      if (processor.awaitTermination(Duration.ofMillis(500))) {
        ProcessorStatus end = processor.status();
        if (end.state() == ProcessorStatus.State.FAILED) {
          System.out.println("STOPPED state=FAILED error=" + end.lastError().map(ChaosChildMain::oneLine).orElse("-"));
          System.out.flush();
          Runtime.getRuntime().halt(2);
        }
        return; // closed by the shutdown hook: SIGTERM
      }
    }
  }

  private static String oneLine(Throwable t) {
    StringBuilder b = new StringBuilder(t.toString());
    Throwable c = t.getCause();
    for (int depth = 0; c != null && depth < 5; depth++, c = c.getCause()) {
      b.append(" <- ").append(c);
    }
    return oneLine(b.toString());
  }

  private static String oneLine(String text) {
    return text.replace('\n', ' ');
  }
}
