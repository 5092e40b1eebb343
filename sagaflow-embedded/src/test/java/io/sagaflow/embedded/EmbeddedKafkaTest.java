package io.sagaflow.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(LeakCheck.class)
class EmbeddedKafkaTest {

  @Test
  void sweepsTheDataDirectoriesOfDeadOwnersOnly(@TempDir Path root) throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor();
    ProcessHandle self = ProcessHandle.current();
    long selfStart = self.info().startInstant().orElseThrow().toEpochMilli();
    Path dead = owned(root, "dead", done.pid() + " " + selfStart);
    Path reused = owned(root, "reused", self.pid() + " " + (selfStart - 60_000)); // same pid, other start
    Path alive = owned(root, "alive", self.pid() + " " + selfStart);
    Path kept = Files.createDirectories(root.resolve(DataDirs.DATA_DIR_PREFIX + "kept")); // no owner
    Path other = Files.createDirectories(root.resolve("something-else"));

    DataDirs.sweepAbandoned(root);

    assertThat(dead).doesNotExist();
    assertThat(reused).doesNotExist();
    assertThat(alive).exists();
    assertThat(kept).exists();
    assertThat(other).exists();
  }

  private static Path owned(Path root, String name, String owner) throws Exception {
    Path dir = Files.createDirectories(root.resolve(DataDirs.DATA_DIR_PREFIX + name + "/node-1"));
    Files.writeString(dir.resolve("segment.log"), "data");
    Path top = dir.getParent();
    Files.writeString(top.resolve(DataDirs.OWNER_FILE), owner);
    return top;
  }

  @Test
  void servesProduceAndConsumeAndLeavesNothingBehind() throws Exception {
    // LeakCheck checks the threads and listening ports after the class; this checks the port itself.
    Path dir;
    int port;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      dir = kafka.dataDir();
      assertThat(Files.readString(dir.resolve(DataDirs.OWNER_FILE)))
          .startsWith(ProcessHandle.current().pid() + " ");
      port = kafka.brokerPort(1);
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
      assertThat(kafka.listeners()).containsExactly(ListenerKind.PLAINTEXT); // nothing else unasked
      assertThat(kafka.bootstrapServers(ListenerKind.PLAINTEXT)).isEqualTo(kafka.bootstrapServers());
      assertThatThrownBy(() -> kafka.bootstrapServers(ListenerKind.SSL))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no SSL listener").hasMessageContaining("withTls()");
      assertThatThrownBy(kafka::certificates).isInstanceOf(IllegalStateException.class);
      kafka.createTopic("greetings", 3);
      try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
        for (int i = 0; i < 30; i++) {
          producer.send(new ProducerRecord<>("greetings", "k" + (i % 5), "hello-" + i)).get();
        }
      }
      assertThat(consumeAll(kafka.bootstrapServers(), "greetings", 30)).hasSize(30);
    }
    assertThat(dir).doesNotExist();
    assertThat(portIsFree(port)).as("port %d freed", port).isTrue();
  }

  @Test
  void keepsAGivenDataDirectoryAndServesItsDataAfterARestart() throws Exception {
    Path dir = Files.createTempDirectory("sagaflow-kept-");
    EmbeddedKafkaOptions options = EmbeddedKafkaOptions.defaults().withDataDir(dir);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(options);
        KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
      producer.send(new ProducerRecord<>("kept", "k", "v1")).get();
    }
    assertThat(dir.resolve("node-1")).isDirectory();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(options)) {
      assertThat(consumeAll(kafka.bootstrapServers(), "kept", 1))
          .extracting(ConsumerRecord::value).containsExactly("v1");
    }
  }

  @Test
  void restartsABrokerOfAThreeBrokerClusterWhileAProducerKeepsWritingWithoutLoss()
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withBrokers(3))) {
      assertThat(kafka.brokerIds()).containsExactly(1, 2, 3);
      kafka.createTopic("ledger", 3);
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger acked = new AtomicInteger();
      List<Throwable> errors = new ArrayList<>();
      Thread writer = Thread.ofPlatform().start(() -> {
        Properties p = new Properties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers(), p)) {
          int i = 0;
          while (running.get() || i < 200) {
            Future<RecordMetadata> f =
                producer.send(new ProducerRecord<>("ledger", "key-" + (i % 7), Integer.toString(i)));
            f.get();
            acked.incrementAndGet();
            i++;
          }
        } catch (Exception e) {
          synchronized (errors) {
            errors.add(e);
          }
        }
      });
      awaitCount(acked, 50);
      kafka.stopBroker(2);
      assertThat(kafka.isRunning(2)).isFalse();
      int atStop = acked.get();
      awaitCount(acked, atStop + 100);
      kafka.restartBroker(2);
      assertThat(kafka.isRunning(2)).isTrue();
      int atRestart = acked.get();
      awaitCount(acked, atRestart + 100);
      running.set(false);
      writer.join(Duration.ofSeconds(60));
      assertThat(errors).isEmpty();

      Set<Integer> seen = new TreeSet<>();
      for (ConsumerRecord<String, String> r : consumeAll(kafka.bootstrapServers(), "ledger", acked.get())) {
        seen.add(Integer.parseInt(r.value()));
      }
      assertThat(seen).hasSize(acked.get());
      assertThat(seen).first().isEqualTo(0);
      assertThat(seen).last().isEqualTo(acked.get() - 1);
    }
  }

  @Test
  void rejectsBadOptionsWithMessagesThatSayWhatToDo() {
    assertThatThrownBy(() -> EmbeddedKafkaOptions.defaults().withBrokers(2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("brokers (2) must be 1 or 3");
    assertThatThrownBy(() -> EmbeddedKafkaOptions.defaults().withDefaultPartitions(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultPartitions (0)");
    assertThatThrownBy(() -> EmbeddedKafkaOptions.defaults().withScramUser("bob smith", "pw"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SCRAM user name 'bob smith'");
    assertThatThrownBy(() -> EmbeddedKafkaOptions.defaults().withSaslPlainUser("alice", "a\"b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without quotes or backslashes")
        .hasMessageNotContaining("a\"b");
  }

  @Test
  void refusesATakenPortWithAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> EmbeddedKafka.start(EmbeddedKafkaOptions.defaults().withPort(port)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("port " + port)
          .hasMessageContaining("already in use");
    }
  }

  private static void awaitCount(AtomicInteger counter, int target) {
    await("acks").atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(counter.get()).isGreaterThanOrEqualTo(target));
  }

  static KafkaProducer<String, String> producer(String bootstrap) {
    return producer(bootstrap, new Properties());
  }

  static KafkaProducer<String, String> producer(String bootstrap, Properties extra) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.putAll(extra);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static List<ConsumerRecord<String, String>> consumeAll(String bootstrap, String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      await("records of " + topic).atMost(Duration.ofSeconds(60)).pollInSameThread().pollInterval(Duration.ofMillis(1))
          .until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            return out.size() >= expected;
          });
    }
    return out;
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
