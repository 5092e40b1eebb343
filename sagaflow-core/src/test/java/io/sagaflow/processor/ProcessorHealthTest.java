package io.sagaflow.processor;

import static io.sagaflow.processor.KafkaTestSupport.await;
import static io.sagaflow.processor.KafkaTestSupport.options;
import static io.sagaflow.processor.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.LeakCheck;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What status and health say about an unreachable cluster and a record that keeps failing. */
@ExtendWith(LeakCheck.class)
class ProcessorHealthTest {
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  /** host:port where nothing listens (a port just bound and released). */
  private static String closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  private static ProcessorOptions<String, String> unreachable(String servers) {
    return ProcessorOptions.create(servers, unique("g"), new StringDeserializer(), new StringDeserializer())
        .withTopics("nowhere")
        .withConnectionTimeout(Duration.ofSeconds(2))
        .withShutdownTimeout(Duration.ofSeconds(5));
  }

  @Test
  void aClosedPortIsReportedDisconnectedWithinTheBoundNamingTheServers() throws Exception {
    String servers = closedPort();
    long start = System.nanoTime();
    try (Processor<String, String> p = Processor.forRecords(unreachable(servers), r -> { }).start()) {
      assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.RUNNING); // not before the bound
      await("DISCONNECTED", Duration.ofSeconds(20),
          () -> p.status().state() == ProcessorStatus.State.DISCONNECTED);
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(tookMillis).isBetween(2_000L, 10_000L);
      ProcessorStatus s = p.status();
      assertThat(s.health()).isEqualTo(ProcessorStatus.Health.DOWN);
      assertThat(s.healthy()).isFalse();
      assertThat(s.problems()).singleElement().asString()
          .contains(servers, "check bootstrap.servers", "security.protocol matches the listener");
    }
  }

  @Test
  void failFastStartThrowsNamingTheServersAndLeavesNothingRunning() throws Exception {
    String servers = closedPort();
    Processor<String, String> p = Processor.forRecords(unreachable(servers).withFailFastConnect(true), r -> { });
    long start = System.nanoTime();
    assertThatThrownBy(p::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot reach the Kafka cluster at " + servers)
        .hasMessageContaining("check bootstrap.servers");
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(2_000L, 15_000L);
    assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.CLOSED);
  }

  @Test
  void failFastStartReturnsOnceTheClusterAnswers() throws Exception {
    String topic = unique("ff");
    kafka.createTopic(topic, 1);
    try (Processor<String, String> p = Processor.forRecords(
        options(kafka, unique("g"), topic).withFailFastConnect(true).withConnectionTimeout(Duration.ofSeconds(30)),
        r -> { }).start()) {
      assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.RUNNING);
      assertThat(p.status().healthy()).isTrue();
    }
  }

  @Test
  void aPoisonRecordShowsInStatusWithAttemptsAndExceptionAndTurnsHealthDown() throws Exception {
    String topic = unique("poison");
    kafka.createTopic(topic, 1);
    KafkaTestSupport.produce(kafka, topic, 0, List.of(
        new String[] {"bad", "x"}, new String[] {"good", "1"}, new String[] {"good", "2"}));
    Set<String> handled = ConcurrentHashMap.newKeySet();
    ProcessorOptions<String, String> opts = options(kafka, unique("g"), topic)
        .withOrdering(Ordering.KEY)
        .withStallAlarmAfter(Duration.ofSeconds(3))
        .withShutdownTimeout(Duration.ofSeconds(1)); // the poison record never finishes: don't wait for it
    try (Processor<String, String> p = Processor.forRecords(opts, r -> {
      if (r.key().equals("bad")) {
        throw new IllegalArgumentException("cannot parse '" + r.value() + "'");
      }
      handled.add(r.value());
    }).start()) {
      await("the poison record listed", () -> !p.status().stalledRecords().isEmpty());
      StalledRecord s = p.status().stalledRecords().get(0);
      assertThat(s.partition()).isEqualTo(new TopicPartition(topic, 0));
      assertThat(s.offset()).isZero();
      assertThat(s.key()).isEqualTo("bad");
      assertThat(s.attempts()).isGreaterThanOrEqualTo(StalledRecord.MIN_ATTEMPTS);
      assertThat(s.exceptionClass()).isEqualTo(IllegalArgumentException.class.getName());
      assertThat(s.exceptionMessage()).isEqualTo("cannot parse 'x'");
      await("other keys go on", () -> handled.containsAll(Set.of("1", "2")));
      await("health DOWN after the alarm time", Duration.ofSeconds(20), () -> !p.status().healthy());
      assertThat(p.status().problems()).anySatisfy(m -> assertThat(m).contains(topic + "-0@0", "key bad"));
      assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.RUNNING);
      assertThat(p.status().stalledRecords().get(0).attempts()).isGreaterThan(s.attempts());
    }
  }

  @Test
  void allBrokersStoppedThenRestartedGoesDisconnectedThenRunning() throws Exception {
    try (EmbeddedKafka cluster = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withBrokers(3))) {
      String topic = unique("outage");
      cluster.createTopic(topic, 3);
      Set<String> handled = ConcurrentHashMap.newKeySet();
      ProcessorOptions<String, String> opts = options(cluster, unique("g"), topic)
          .withConnectionTimeout(Duration.ofSeconds(3));
      try (Processor<String, String> p = Processor.forRecords(opts, r -> handled.add(r.value())).start()) {
        KafkaTestSupport.produce(cluster, topic, 0, List.<String[]>of(new String[] {"k", "before"}));
        await("the record before the outage", () -> handled.contains("before"));
        assertThat(p.status().state()).isEqualTo(ProcessorStatus.State.RUNNING);

        for (int id : cluster.brokerIds()) {
          cluster.stopBroker(id);
        }
        await("DISCONNECTED", Duration.ofSeconds(30),
            () -> p.status().state() == ProcessorStatus.State.DISCONNECTED);
        assertThat(p.status().problems()).singleElement().asString().contains(cluster.bootstrapServers());

        for (int id : cluster.brokerIds()) {
          cluster.restartBroker(id);
        }
        await("RUNNING again", Duration.ofSeconds(60),
            () -> p.status().state() == ProcessorStatus.State.RUNNING && p.status().healthy());
        KafkaTestSupport.produce(cluster, topic, 0, List.<String[]>of(new String[] {"k", "after"}));
        await("the record after the outage", Duration.ofSeconds(60), () -> handled.contains("after"));
      }
    }
  }
}
