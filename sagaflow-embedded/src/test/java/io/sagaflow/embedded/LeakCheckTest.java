package io.sagaflow.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The leak check sees what a test leaves open, and does not see what it closed. */
@ExtendWith(LeakCheck.class)
class LeakCheckTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void seesAClientLeftOpenAndNotOneClosed() throws Exception {
    LeakCheck.Snapshot before = LeakCheck.Snapshot.take();
    KafkaProducer<String, String> producer =
        new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), new StringSerializer());
    try {
      assertThat(before.threadsLeft(Duration.ofMillis(100), true))
          .anyMatch(n -> n.startsWith("kafka-producer-network-thread"));
    } finally {
      producer.close();
    }
    assertThat(before.threadsLeft(Duration.ofSeconds(10), true)).isEmpty();
  }

  @Test
  void seesAThreadLeftRunningAndWaitsForOneEnding() throws Exception {
    LeakCheck.Snapshot before = LeakCheck.Snapshot.take();
    CountDownLatch release = new CountDownLatch(1);
    Thread worker = Thread.ofPlatform().name("some-worker").start(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(before.threadsLeft(Duration.ofMillis(100), false)).contains("some-worker");
    assertThat(before.threadsLeft(Duration.ofMillis(100), true)).as("not a client thread").isEmpty();
    release.countDown();
    assertThat(before.threadsLeft(Duration.ofSeconds(10), false)).doesNotContain("some-worker");
    assertThat(worker.isAlive()).isFalse();
  }

  @Test
  void seesAPortLeftListening() throws Exception {
    LeakCheck.Snapshot before = LeakCheck.Snapshot.take();
    int port;
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = server.getLocalPort();
      if (!LeakCheck.ListeningPorts.ofThisProcess().isEmpty()) { // Linux (/proc); elsewhere no port check
        assertThat(before.portsLeftListening()).containsExactly(port);
      }
    }
    assertThat(before.portsLeftListening()).doesNotContain(port);
  }
}
