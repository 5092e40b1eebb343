package io.sagaflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.testkit.DeliveryCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos dlt-outage}: the dead-letter topic rejects every write (created with
 * {@code max.message.bytes=200}) when a poison record arrives; after the outage the limit is
 * removed. One processor JVM per mode, each in its own group, copies the same steady input and
 * sends the poison record to {@code <input>-dlt} through {@code Recovery.handler}.
 *
 * <p>Promises per mode: nothing skipped (every other record copied, the poison record dead-lettered,
 * everything committed); only the poison record's partition waits (every other partition committed,
 * by the end of the outage, everything produced before it began); the recovery health is DOWN during
 * the outage and UP again after it without anyone acting.
 */
@Command(name = "dlt-outage", mixinStandardHelpOptions = true,
    description = "The dead-letter topic rejects writes for 60 s: nothing skipped, only the affected "
        + "partition waits, health DOWN then UP by itself.")
final class ChaosDltOutage extends ChaosScenario {
  private static final String POISON_KEY = "key-0007";

  @Option(names = "--outage-s", description = "Seconds the dead-letter topic rejects writes (default 60; 5 with --short)")
  Integer outageSeconds;

  @Option(names = "--modes", split = ",", defaultValue = "alos,eos",
      description = "Processing modes, each in its own JVM and group at the same time (default ${DEFAULT-VALUE})")
  List<String> modes;

  @Option(names = "--rate", description = "Input records per second (default 500)")
  Integer rate;

  @Option(names = "--drain-timeout-s", description = "Seconds allowed to commit everything at the end (default 120; 60 with --short)")
  Integer drainTimeoutSeconds;

  @Override
  public Integer call() throws Exception {
    // Short: 5 s still shows every promise (health DOWN within about 1 s, the other partitions
    // commit within 1 to 2 s) and ends before the at-least-once hand-off backoff (100 ms doubling)
    // reaches its 6.3 s attempt, so the poison record is written within about a second of the fix
    // instead of at the 12.7 s or 25.5 s attempt.
    int outage = pick(outageSeconds, 60, 5);
    log("dlt-outage: the dead-letter topic rejects writes for %d s; modes %s", outage, modes);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      String in = unique("chaos-in");
      String dlt = in + "-dlt";
      kafka.createTopic(in, 6);
      createTopic(bootstrap, dlt, 6, 1, Map.of("max.message.bytes", "200"));
      List<ChaosProcessors> pools = new ArrayList<>();
      List<ChaosMonitor> monitors = new ArrayList<>();
      int exit = 0;
      try (ChaosLoad load = new ChaosLoad(bootstrap, in, pick(rate, 500, 500))) {
        for (String mode : modes) {
          String out = unique("chaos-out-" + mode);
          kafka.createTopic(out, 6);
          ChaosProcessors p = new ChaosProcessors(1, mode, bootstrap, in, out, unique("chaos-g-" + mode),
              sessionTimeoutMs(), true);
          pools.add(p);
          p.start(0);
        }
        for (ChaosProcessors p : pools) {
          p.startReadyAwait(0, seconds(120));
        }
        log("processors ready; input starts");
        load.start();
        for (ChaosProcessors p : pools) {
          monitors.add(new ChaosMonitor(bootstrap, p.group(), in, 6));
        }
        new Timeline().run(3);
        RecordMetadata poison = load.sendPoison(POISON_KEY);
        long poisonAt = System.currentTimeMillis();
        int affected = poison.partition();
        log("poison record at partition %d offset %d; the dead-letter topic rejects writes", affected, poison.offset());
        for (ChaosMonitor m : monitors) {
          m.awaitSample(seconds(30));
        }
        List<long[]> endAtPoison = monitors.stream().map(ChaosMonitor::end).toList();
        new Timeline().run(outage);
        List<long[]> committedAtRestore = monitors.stream().map(ChaosMonitor::committed).toList();
        restore(bootstrap, dlt);
        long restoredAt = System.currentTimeMillis();
        log("dead-letter topic accepts writes again");
        double[] resumed = new double[pools.size()];
        long[] past = new long[6];
        past[affected] = poison.offset() + 1;
        for (int i = 0; i < pools.size(); i++) {
          boolean ok = monitors.get(i).awaitCommitted(past, seconds(pick(drainTimeoutSeconds, 120, 60)));
          resumed[i] = ok ? (System.currentTimeMillis() - restoredAt) / 1e3 : -1;
        }
        load.stop();
        log("input stopped; waiting until everything is committed");
        boolean[] drained = new boolean[pools.size()];
        for (int i = 0; i < pools.size(); i++) {
          monitors.get(i).awaitSample(seconds(60));
          drained[i] = monitors.get(i).awaitCommitted(monitors.get(i).end(), seconds(pick(drainTimeoutSeconds, 120, 60)));
        }
        List<String> expected = load.acknowledged();
        List<long[]> finalCommitted = monitors.stream().map(ChaosMonitor::committed).toList();
        for (int i = 0; i < pools.size(); i++) {
          ChaosProcessors p = pools.get(i);
          log("%s processor logs: %s", modes.get(i), p.saveLogs());
          String mode = modes.get(i);
          List<ChaosStatus> statuses = ChaosStatus.parseAll(p.lastLinesOfAll(Integer.MAX_VALUE));
          p.close();
          monitors.get(i).close();
          Long downAt = statuses.stream().filter(s -> s.health().equals("DOWN") && s.atMillis() >= poisonAt)
              .map(ChaosStatus::atMillis).findFirst().orElse(null);
          // UP again counts only after a DOWN: a health that never left UP did not come back by itself.
          Long upAt = downAt == null ? null : statuses.stream()
              .filter(s -> s.health().equals("UP") && s.atMillis() > restoredAt && s.atMillis() > downAt)
              .map(ChaosStatus::atMillis).findFirst().orElse(null);
          String lastHealth = statuses.isEmpty() ? "-" : statuses.getLast().health();
          statuses.stream().filter(s -> s.atMillis() >= poisonAt && s.atMillis() <= restoredAt && !s.error().equals("-"))
              .reduce((a, b) -> b)
              .ifPresent(s -> log("%s: lastError during the outage: %s", mode, s.error()));
          int progressed = 0;
          for (int part = 0; part < 6; part++) {
            if (part != affected && committedAtRestore.get(i)[part] >= endAtPoison.get(i)[part]) {
              progressed++;
            }
          }
          boolean held = committedAtRestore.get(i)[affected] <= poison.offset();
          long deadLetters = deadLetters(bootstrap, dlt, p.group());
          Check check = check(bootstrap, p.output(), load, finalCommitted.get(i));
          DeliveryCheck.Report r = check.report();
          ChaosOutcome o = new ChaosOutcome("dlt-outage")
              .put("records", expected.size()).put("kills", 0).put("lost", r.lost()).put("duplicates", r.duplicates())
              .put("reordered", r.reordered()).put("max_stall_s", monitors.get(i).maxStallSeconds()).put("mode", mode)
              .put("outage_s", outage).put("affected_partition", affected).put("affected_held", held)
              .put("others_progressed", progressed + "/5")
              .put("others_max_idle_s", monitors.get(i).maxPartitionIdleSeconds(affected))
              .put("health_down_after_s", downAt == null ? null : (downAt - poisonAt) / 1e3)
              .put("health_up_after_restore_s", upAt == null ? null : (upAt - restoredAt) / 1e3)
              .put("final_health", lastHealth).put("dead_letters", deadLetters)
              .put("affected_resumed_after_s", resumed[i] < 0 ? null : resumed[i]).put("drained", drained[i]).put("pending", check.pending());
          o.promise(r.lost() == 0 && deadLetters >= 1 && drained[i], "nothing skipped",
              String.format(Locale.ROOT, "lost %d, dead letters %d, input records not committed at the end %d", r.lost(),
                  deadLetters, check.pending()));
          o.promise(progressed == 5, "only the affected partition waits",
              "only " + progressed + " of the 5 other partitions committed what was produced before the outage, by its end");
          o.promise(downAt != null, "health DOWN during the outage",
              "recovery health never DOWN in " + outage + " s of rejected dead-letter writes");
          o.promise(upAt != null && lastHealth.equals("UP"), "health UP again by itself",
              downAt == null ? "it was never DOWN, so it did not come back"
                  : "after the topic was fixed: UP seen " + (upAt != null) + ", final health " + lastHealth);
          exit |= o.print(out);
        }
      } finally {
        pools.forEach(ChaosProcessors::close);
        monitors.forEach(ChaosMonitor::close);
      }
      return exit;
    }
  }

  /** Removes the topic's message size limit: the default (about 1 MiB) applies again. */
  private static void restore(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Collection<AlterConfigOp> ops = List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", ""),
          AlterConfigOp.OpType.DELETE));
      admin.incrementalAlterConfigs(Map.of(r, ops)).all().get(30, TimeUnit.SECONDS);
    }
  }

  /** Committed dead letters written by {@code group} (header {@code kafka_dlt-original-consumer-group}). */
  private static long deadLetters(String bootstrap, String topic, String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    long count = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
          Header h = rec.headers().lastHeader("kafka_dlt-original-consumer-group");
          if (h != null && new String(h.value(), StandardCharsets.UTF_8).equals(group)) {
            count++;
          }
        }
      }
    }
    return count;
  }
}
