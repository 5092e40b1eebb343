package io.sagaflow.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * A real Apache Kafka cluster in KRaft mode, running in this JVM and listening on 127.0.0.1 only.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *   Properties p = new Properties();
 *   p.put("bootstrap.servers", kafka.bootstrapServers());
 *   // ... any Kafka client works against it
 * }
 * }</pre>
 *
 * <p>One broker (a combined broker and controller node, id 1) by default. With
 * {@code withBrokers(3)} it runs brokers 1, 2 and 3 and a separate controller (id 100), and any
 * broker can be {@linkplain #stopBroker(int) stopped} and {@linkplain #restartBroker(int)
 * restarted} on the same port and data directory while clients keep running, for fault tests.
 *
 * <p>Defaults suit a small machine: internal topics replicated as widely as the cluster allows,
 * 10 partitions for the offsets and transaction logs, no initial rebalance delay, 8 MiB log
 * segments and a 4 MiB log-cleaner buffer. A temporary data directory is made in {@code /dev/shm}
 * where that exists (memory, so nothing waits for the disk), else in {@code java.io.tmpdir}; the
 * directories of brokers whose JVM died without closing them are deleted when the next one starts.
 *
 * <p>Beside the plaintext listener, the options can open secured ones, each on its own port:
 * SASL (PLAIN, SCRAM-SHA-256/512, unsecured OAUTHBEARER), TLS, mutual TLS and SASL over TLS; see
 * {@link ListenerKind}, {@link #bootstrapServers(ListenerKind)} and {@link TestCertificates}.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafkaOptions.defaults()
 *     .withScramUser("alice", "alice-secret")
 *     .withTls())) {
 *   Properties p = kafka.clientProperties(ListenerKind.SASL_SSL); // address, protocol, trust store
 *   p.put("sasl.mechanism", "SCRAM-SHA-512");
 *   p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
 *       + " username=\"alice\" password=\"alice-secret\";");
 * }
 * }</pre>
 *
 * <p>A fatal broker fault makes Kafka halt the hosting JVM; run processes that you want to survive
 * a broker crash in a JVM of their own.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final int CONTROLLER_ID = 100;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final EmbeddedKafkaOptions options;
  private final Path dataDir;
  private final boolean deleteDataDir;
  private final Map<Integer, KafkaNode> nodes = new LinkedHashMap<>();
  private final String bootstrapServers;
  private final Map<ListenerKind, String> listenerBootstraps = new EnumMap<>(ListenerKind.class);
  private final TestCertificates certificates;
  private boolean closed;

  private EmbeddedKafka(EmbeddedKafkaOptions options) throws IOException {
    this.options = options;
    if (options.dataDir() != null) {
      this.dataDir = Files.createDirectories(options.dataDir());
      this.deleteDataDir = false;
    } else {
      Path root = DataDirs.scratchRoot();
      DataDirs.sweepAbandoned(root);
      this.dataDir = Files.createTempDirectory(root, DataDirs.DATA_DIR_PREFIX);
      this.deleteDataDir = !options.keepDataDir();
      if (deleteDataDir) {
        ProcessHandle self = ProcessHandle.current();
        Files.writeString(dataDir.resolve(DataDirs.OWNER_FILE), self.pid() + " " + DataDirs.startMillis(self));
      }
    }
    int replication = Math.min(3, options.brokers());
    int minIsr = options.brokers() == 1 ? 1 : 2;
    Map<String, String> shared = new HashMap<>();
    shared.put("offsets.topic.replication.factor", Integer.toString(replication));
    shared.put("offsets.topic.num.partitions", "10");
    shared.put("transaction.state.log.replication.factor", Integer.toString(replication));
    shared.put("transaction.state.log.min.isr", Integer.toString(minIsr));
    shared.put("transaction.state.log.num.partitions", "10");
    shared.put("share.coordinator.state.topic.replication.factor", Integer.toString(replication));
    shared.put("share.coordinator.state.topic.min.isr", Integer.toString(minIsr));
    shared.put("share.coordinator.state.topic.num.partitions", "3");
    shared.put("default.replication.factor", Integer.toString(replication));
    shared.put("min.insync.replicas", Integer.toString(minIsr));
    shared.put("group.initial.rebalance.delay.ms", "0");
    shared.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
    shared.put("log.segment.bytes", Integer.toString(8 * 1024 * 1024));
    shared.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));
    shared.put("num.network.threads", "2");
    shared.put("num.io.threads", "4");
    shared.put("background.threads", "4");
    shared.put("num.recovery.threads.per.data.dir", "1");
    shared.put("num.replica.fetchers", "1");
    shared.put("auto.create.topics.enable", Boolean.toString(options.autoCreateTopics()));
    shared.put("num.partitions", Integer.toString(options.defaultPartitions()));
    shared.put("controlled.shutdown.enable", "true");
    shared.putAll(options.brokerProperties());

    // Every free port is picked at once, with all the probe sockets open together, so that no two
    // listeners are handed the same port.
    BrokerSecurity security = options.security();
    List<ListenerKind> extraKinds = List.copyOf(security.listeners());
    List<Integer> free = LocalPorts.freePorts(
        (options.port() == 0 ? options.brokers() : 0) + extraKinds.size() * options.brokers() + 1);
    int nextFree = 0;
    List<Integer> brokerPorts = new ArrayList<>();
    List<Map<ListenerKind, Integer>> extraPorts = new ArrayList<>();
    for (int i = 0; i < options.brokers(); i++) {
      brokerPorts.add(options.port() == 0 ? free.get(nextFree++) : options.port() + i);
    }
    for (int i = 0; i < options.brokers(); i++) {
      Map<ListenerKind, Integer> ports = new EnumMap<>(ListenerKind.class);
      for (ListenerKind kind : extraKinds) {
        ports.put(kind, free.get(nextFree++));
      }
      extraPorts.add(ports);
    }
    int controllerPort = free.get(nextFree);
    if (security.tls() && security.certificates() == null) {
      try {
        this.certificates = TestCertificates.generate(dataDir.resolve("tls"));
      } catch (RuntimeException e) {
        if (deleteDataDir) {
          DataDirs.deleteRecursively(dataDir); // start() never saw this instance to close it
        }
        throw e;
      }
    } else {
      this.certificates = security.certificates();
    }
    Map<String, String> securityConfig = security.brokerProperties(certificates);
    if (options.brokers() == 1) {
      String voters = "1@127.0.0.1:" + controllerPort;
      nodes.put(1, new KafkaNode(1, KafkaNode.Role.COMBINED, brokerPorts.get(0), controllerPort,
          extraPorts.get(0), voters, dataDir.resolve("node-1"), shared, securityConfig));
    } else {
      String voters = CONTROLLER_ID + "@127.0.0.1:" + controllerPort;
      nodes.put(CONTROLLER_ID, new KafkaNode(CONTROLLER_ID, KafkaNode.Role.CONTROLLER, -1,
          controllerPort, Map.of(), voters, dataDir.resolve("controller-" + CONTROLLER_ID), shared,
          securityConfig));
      for (int i = 1; i <= options.brokers(); i++) {
        nodes.put(i, new KafkaNode(i, KafkaNode.Role.BROKER, brokerPorts.get(i - 1), -1,
            extraPorts.get(i - 1), voters, dataDir.resolve("node-" + i), shared, securityConfig));
      }
    }
    this.bootstrapServers = join(brokerPorts);
    listenerBootstraps.put(ListenerKind.PLAINTEXT, bootstrapServers);
    for (ListenerKind kind : extraKinds) {
      listenerBootstraps.put(kind, join(extraPorts.stream().map(m -> m.get(kind)).toList()));
    }
  }

  private static String join(List<Integer> ports) {
    return ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  /** Starts one broker with {@link EmbeddedKafkaOptions#defaults()}. */
  public static EmbeddedKafka start() {
    return start(EmbeddedKafkaOptions.defaults());
  }

  /**
   * Formats storage, starts every node and returns once all brokers serve metadata.
   *
   * @throws IllegalStateException if a broker cannot start, for example because the given port is
   *     taken; the message names the port and what to do
   */
  public static EmbeddedKafka start(EmbeddedKafkaOptions options) {
    EmbeddedKafka kafka;
    try {
      kafka = new EmbeddedKafka(options);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the Kafka data directory: " + e.getMessage(), e);
    }
    try {
      kafka.startAll();
      return kafka;
    } catch (RuntimeException | Error e) {
      kafka.close();
      throw e;
    }
  }

  private void startAll() {
    String clusterId = Uuid.randomUuid().toString();
    for (KafkaNode node : nodes.values()) {
      if (node.brokerPort() > 0 && !LocalPorts.isFree(node.brokerPort())) {
        throw new IllegalStateException("port " + node.brokerPort()
            + " on 127.0.0.1 is already in use: stop what listens there, or choose another port"
            + " (or 0 for a free one)");
      }
      try {
        node.format(clusterId);
      } catch (Exception e) {
        throw new IllegalStateException("cannot format Kafka storage in " + dataDir + ": " + e, e);
      }
    }
    // The controller first, so that brokers find a quorum; the brokers in parallel, since each
    // waits for its registration to be acknowledged.
    List<Thread> starters = new ArrayList<>();
    List<RuntimeException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (KafkaNode node : nodes.values()) {
      if (node.role() == KafkaNode.Role.CONTROLLER) {
        node.start();
        continue;
      }
      starters.add(Thread.ofPlatform().name("sagaflow-kafka-start-" + node.nodeId()).start(() -> {
        try {
          node.start();
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }));
    }
    for (Thread t : starters) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting Kafka", e);
      }
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("a Kafka broker failed to start: " + failures.get(0), failures.get(0));
    }
    awaitBrokers(options.brokers());
    if (!options.security().scramUsers().isEmpty()) {
      ScramCredentials.store(clientProperties(),
          List.of(saslBootstrapServers().split(",")), options.security().scramUsers(), READY_TIMEOUT);
    }
  }

  /** The bootstrap address, e.g. {@code 127.0.0.1:41234} (comma-separated with 3 brokers). */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * The bootstrap address of one kind of listener, e.g. {@code 127.0.0.1:41235}
   * (comma-separated with 3 brokers).
   *
   * @throws IllegalStateException if the options did not open that listener; the message says
   *     which option does
   */
  public String bootstrapServers(ListenerKind kind) {
    String address = listenerBootstraps.get(kind);
    if (address == null) {
      throw new IllegalStateException("this broker has no " + kind + " listener: " + switch (kind) {
        case SASL_PLAINTEXT -> "start it with options.withSaslPlainUser, withScramUser or withOAuthBearer";
        case SASL_SSL -> "start it with options.withTls() and a SASL option (withSaslPlainUser,"
            + " withScramUser or withOAuthBearer)";
        default -> "start it with options.withTls()";
      });
    }
    return address;
  }

  /** The bootstrap address of the {@link ListenerKind#SASL_PLAINTEXT} listener. */
  public String saslBootstrapServers() {
    return bootstrapServers(ListenerKind.SASL_PLAINTEXT);
  }

  /** The listeners this cluster opened, {@link ListenerKind#PLAINTEXT} first. */
  public java.util.Set<ListenerKind> listeners() {
    return java.util.Collections.unmodifiableSet(listenerBootstraps.keySet());
  }

  /**
   * The certificates of the TLS listeners: the ones given to {@code withTls(certificates)}, or
   * those generated for {@code withTls()} into the data directory (deleted with it).
   *
   * @throws IllegalStateException if TLS is off
   */
  public TestCertificates certificates() {
    if (certificates == null) {
      throw new IllegalStateException("this broker has no TLS listeners: start it with options.withTls()");
    }
    return certificates;
  }

  /** The data directory holding each node's log directory. */
  public Path dataDir() {
    return dataDir;
  }

  /** The ids of the brokers (not the controller): {@code [1]} or {@code [1, 2, 3]}. */
  public List<Integer> brokerIds() {
    return nodes.values().stream()
        .filter(n -> n.role() != KafkaNode.Role.CONTROLLER)
        .map(KafkaNode::nodeId)
        .toList();
  }

  /** The port broker {@code brokerId} listens on. */
  public int brokerPort(int brokerId) {
    return broker(brokerId).brokerPort();
  }

  /** Whether broker {@code brokerId} is running. */
  public boolean isRunning(int brokerId) {
    return broker(brokerId).isRunning();
  }

  /**
   * Stops one broker of a 3-broker cluster with a controlled shutdown; its data directory and port
   * are kept for {@link #restartBroker(int)}.
   */
  public void stopBroker(int brokerId) {
    KafkaNode node = broker(brokerId);
    if (node.role() == KafkaNode.Role.COMBINED) {
      throw new IllegalStateException(
          "stopping the only broker would stop the cluster: start with withBrokers(3) to stop one"
              + " broker while others serve, or use close()");
    }
    node.stop();
  }

  /** Starts a stopped broker again with the same id, port and data directory. */
  public void restartBroker(int brokerId) {
    KafkaNode node = broker(brokerId);
    if (node.isRunning()) {
      throw new IllegalStateException("broker " + brokerId + " is running: stopBroker it first");
    }
    node.start();
    awaitBrokers((int) nodes.values().stream()
        .filter(n -> n.role() != KafkaNode.Role.CONTROLLER && n.isRunning())
        .count());
  }

  /**
   * Creates a topic (doing nothing if it exists) with the cluster's default replication, and waits
   * (up to 30 s) until a broker reports a leader for each of its partitions.
   *
   * <p>The wait matters to a producer that writes right away: the controller answers once the topic
   * is in the metadata log, before the brokers have applied it. An idempotent producer's first
   * request can then fail with {@code NOT_LEADER_OR_FOLLOWER} while its second, sent a moment
   * later, is appended; the first is then refused with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until
   * {@code delivery.timeout.ms} expires it (KAFKA-15591, fixed in Kafka 4.5).
   */
  public void createTopic(String topic, int partitions) {
    try (Admin admin = Admin.create(clientProperties())) {
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) Math.min(3, options.brokers()))))
            .all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      awaitLeaders(admin, topic, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause(), e.getCause());
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot create topic " + topic + ": " + e, e);
    }
  }

  private static void awaitLeaders(Admin admin, String topic, long deadline) throws Exception {
    while (true) {
      try {
        TopicDescription d =
            admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("topic " + topic + " has partitions without a leader after 30 s");
      }
      TimeUnit.MILLISECONDS.sleep(10);
    }
  }

  /** Client properties with {@code bootstrap.servers} set, as a base for any client. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  /**
   * Client properties for one listener: {@code bootstrap.servers}, {@code security.protocol}, the
   * trust store of {@link #certificates()} for the TLS kinds, and the client key store too for
   * {@link ListenerKind#MTLS}. SASL settings ({@code sasl.mechanism}, {@code sasl.jaas.config})
   * are the caller's: they name the user.
   *
   * @throws IllegalStateException if the options did not open that listener
   */
  public Properties clientProperties(ListenerKind kind) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(kind));
    p.put(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, kind.securityProtocol());
    switch (kind) {
      case SSL, SASL_SSL -> p.putAll(certificates().clientSslProperties());
      case MTLS -> p.putAll(certificates().clientMutualTlsProperties());
      default -> { }
    }
    return p;
  }

  /** Stops every node and deletes the temporary data directory unless asked to keep it. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<KafkaNode> order = new ArrayList<>(nodes.values());
    // Brokers before the controller, so that their controlled shutdown can reach it.
    order.sort((a, b) -> Boolean.compare(
        a.role() == KafkaNode.Role.CONTROLLER, b.role() == KafkaNode.Role.CONTROLLER));
    RuntimeException first = null;
    for (KafkaNode node : order) {
      try {
        node.stop();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (deleteDataDir) {
      DataDirs.deleteRecursively(dataDir);
    }
    if (first != null) {
      throw first;
    }
  }

  private KafkaNode broker(int brokerId) {
    KafkaNode node = nodes.get(brokerId);
    if (node == null || node.role() == KafkaNode.Role.CONTROLLER) {
      throw new IllegalArgumentException("no broker " + brokerId + ": brokers are " + brokerIds());
    }
    return node;
  }

  private void awaitBrokers(int expected) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Properties p = clientProperties();
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          int live = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
          if (live >= expected) {
            return;
          }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          // not ready yet
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Kafka brokers did not all register within " + READY_TIMEOUT.toSeconds() + " s");
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
      }
    }
  }
}
