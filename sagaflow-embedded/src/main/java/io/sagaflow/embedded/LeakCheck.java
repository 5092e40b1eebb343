package io.sagaflow.embedded;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that fails a test class that leaks a Kafka client, a Sagaflow runtime, a
 * broker or a listening port.
 *
 * <ul>
 *   <li><b>After each test:</b> the threads of producers, consumers and admin clients
 *       ({@code kafka-producer-network-thread}, {@code kafka-coordinator-heartbeat-thread},
 *       {@code kafka-admin-client-thread}, {@code consumer_background_thread}) and Sagaflow's own
 *       threads ({@code sagaflow-*}) that the test started must have ended.
 *   <li><b>After the class</b> (after its {@code @AfterAll} methods): every thread that started
 *       during the class must have ended, except pools that the JVM, JUnit or Kafka's process-wide
 *       metrics keep for the whole run; and on Linux, every TCP port this JVM began to listen on
 *       (a broker) must be closed.
 * </ul>
 *
 * <p>Threads get {@link #GRACE} to end after a test (clients close asynchronously); the check
 * waits for them with {@link Thread#join}, so a clean test costs nothing.
 *
 * <pre>{@code
 * @ExtendWith(LeakCheck.class)
 * class OrdersTest {
 *   static EmbeddedKafka kafka;
 *   @BeforeAll static void start() { kafka = EmbeddedKafka.start(); }
 *   @AfterAll static void stop() { kafka.close(); }
 *   ...
 * }
 * }</pre>
 *
 * <p>With sagaflow-testkit's {@code KafkaExtension}, list {@code LeakCheck} first,
 * {@code @ExtendWith({LeakCheck.class, KafkaExtension.class})}, so that the class check runs after
 * the broker has stopped. This module declares JUnit as {@code provided}: tests that use the
 * extension have it already.
 */
public final class LeakCheck implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  /** How long threads and ports may take to go away after a test or class has ended. */
  public static final Duration GRACE = Duration.ofSeconds(15);

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LeakCheck.class);
  /** Threads of clients and runtimes that a test must close before it ends. */
  private static final Pattern CLIENT_THREADS = Pattern.compile(
      "kafka-producer-network-thread.*|kafka-coordinator-heartbeat-thread.*|kafka-admin-client-thread.*"
          + "|consumer_background_thread.*|sagaflow-.*");
  /**
   * Threads that outlive any one test class and that no test owns: the JDK's pools and helpers,
   * JUnit's timeout watcher, and the meter pool of Kafka's process-wide Yammer registry
   * (KafkaYammerMetrics), made by the first broker meter in the JVM and never stopped by a broker,
   * the JDK's shared timer behind {@code CompletableFuture.orTimeout}, and Selenium's static
   * {@code UrlChecker} pool (browser tests), whose idle threads end only after 60 s.
   */
  private static final Pattern SHARED_THREADS = Pattern.compile(
      "ForkJoinPool.*|process reaper.*|Attach Listener|Common-Cleaner|Cleaner-.*|VirtualThread-unblocker"
          + "|Read-Poller|Write-Poller|InnocuousThread-.*|junit-jupiter-timeout-watcher"
          + "|metrics-meter-tick-thread-.*|CompletableFutureDelayScheduler|UrlChecker-.*");

  /** Created by JUnit ({@code @ExtendWith(LeakCheck.class)}). */
  public LeakCheck() {}

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NAMESPACE).put("class", Snapshot.take());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NAMESPACE).put("test", Snapshot.take());
  }

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    Snapshot before = context.getStore(NAMESPACE).get("test", Snapshot.class);
    List<String> leaked = before.threadsLeft(GRACE, true);
    if (!leaked.isEmpty()) {
      throw new AssertionError("the test left these client threads running " + GRACE.toSeconds()
          + " s after it ended; close the producers, consumers, admin clients and processors it started: "
          + leaked);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    Snapshot before = context.getStore(NAMESPACE).get("class", Snapshot.class);
    List<String> leaked = before.threadsLeft(GRACE, false);
    if (!leaked.isEmpty()) {
      throw new AssertionError("the test class left these threads running " + GRACE.toSeconds()
          + " s after its last test; close what it started (in @AfterAll for what @BeforeAll started): "
          + leaked);
    }
    Set<Integer> ports = before.portsLeftListening();
    if (!ports.isEmpty()) {
      throw new AssertionError("the test class left these ports listening on this JVM after its last test;"
          + " close the brokers (EmbeddedKafka) and servers it started: " + new TreeSet<>(ports));
    }
  }

  /**
   * The live threads and listening ports at one moment: the check itself, for test frameworks
   * other than JUnit 5 (TestNG, as the Reactive Streams TCK uses).
   *
   * <pre>{@code
   * LeakCheck.Snapshot before = LeakCheck.Snapshot.take();
   * ... // start and close a broker and clients
   * assertThat(before.threadsLeft(LeakCheck.GRACE, false)).isEmpty();
   * assertThat(before.portsLeftListening()).isEmpty();
   * }</pre>
   */
  public static final class Snapshot {
    private final Set<Long> threadIds;
    private final Set<Integer> listeningPorts;

    private Snapshot(Set<Long> threadIds, Set<Integer> listeningPorts) {
      this.threadIds = threadIds;
      this.listeningPorts = listeningPorts;
    }

    /** The threads and ports of now. */
    public static Snapshot take() {
      Set<Long> ids = Thread.getAllStackTraces().keySet().stream().map(Thread::threadId).collect(Collectors.toSet());
      return new Snapshot(ids, ListeningPorts.ofThisProcess());
    }

    /**
     * Names of the threads started since this snapshot that are still alive after waiting up to
     * {@code grace} for them to end; {@code clientsOnly} limits the check to client threads.
     */
    public List<String> threadsLeft(Duration grace, boolean clientsOnly) throws InterruptedException {
      long deadline = System.nanoTime() + grace.toNanos();
      for (Thread t : newThreads(clientsOnly)) {
        long left = deadline - System.nanoTime();
        if (left > 0) {
          t.join(Duration.ofNanos(left));
        }
      }
      return newThreads(clientsOnly).stream().map(Thread::getName).sorted().toList();
    }

    private List<Thread> newThreads(boolean clientsOnly) {
      List<Thread> out = new ArrayList<>();
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        String name = t.getName();
        boolean watched = clientsOnly
            ? CLIENT_THREADS.matcher(name).matches()
            : !SHARED_THREADS.matcher(name).matches();
        if (t.isAlive() && watched && !threadIds.contains(t.threadId())) {
          out.add(t);
        }
      }
      return out;
    }

    /** Ports that listen now (after the threads have been waited for) and did not at the snapshot. */
    public Set<Integer> portsLeftListening() {
      Set<Integer> now = ListeningPorts.ofThisProcess();
      now.removeAll(listeningPorts);
      return now;
    }
  }

  /**
   * The TCP ports this process listens on, from Linux's {@code /proc}: the socket inodes among
   * {@code /proc/self/fd} matched with the LISTEN entries of {@code /proc/self/net/tcp} and
   * {@code tcp6}. Empty where there is no {@code /proc} (the port check is then skipped).
   */
  static final class ListeningPorts {
    private static final String LISTEN = "0A";

    private ListeningPorts() {}

    static Set<Integer> ofThisProcess() {
      Path fds = Path.of("/proc/self/fd");
      Set<Integer> ports = new HashSet<>();
      if (!Files.isDirectory(fds)) {
        return ports;
      }
      Set<String> socketInodes = new HashSet<>();
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(fds)) {
        for (Path fd : dir) {
          try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              socketInodes.add(target.substring("socket:[".length(), target.length() - 1));
            }
          } catch (IOException e) {
            // closed since it was listed
          }
        }
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
          Path p = Path.of(table);
          if (!Files.isReadable(p)) {
            continue;
          }
          List<String> lines = Files.readAllLines(p);
          for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            String[] f = line.trim().split("\\s+");
            if (f.length > 9 && f[3].equals(LISTEN) && socketInodes.contains(f[9])) {
              String local = f[1];
              ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
            }
          }
        }
      } catch (IOException e) {
        return new HashSet<>(); // no /proc to read: no port check
      }
      return ports;
    }
  }
}
