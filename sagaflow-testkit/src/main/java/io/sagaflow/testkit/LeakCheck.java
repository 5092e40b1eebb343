package io.sagaflow.testkit;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a Kafka client or a Sagaflow thread running: the threads of producers,
 * consumers, admin clients and Sagaflow's own poll loops that started during the test must be
 * gone within a few seconds after it ends.
 *
 * <pre>{@code
 * @ExtendWith({KafkaExtension.class, LeakCheck.class})
 * class MyTest { ... }
 * }</pre>
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LeakCheck.class);
  /** Threads that belong to a client or runtime a test should have closed. */
  private static final Pattern WATCHED = Pattern.compile(
      "kafka-producer-network-thread.*|kafka-coordinator-heartbeat-thread.*|kafka-admin-client-thread.*"
          + "|consumer_background_thread.*|sagaflow-.*");
  private static final Duration GRACE = Duration.ofSeconds(10);

  /** Created by JUnit ({@code @ExtendWith(LeakCheck.class)}). */
  public LeakCheck() {}

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NAMESPACE).put("before", watchedThreads());
  }

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    @SuppressWarnings("unchecked")
    Set<String> before = (Set<String>) context.getStore(NAMESPACE).get("before", Set.class);
    Set<String> leaked = leakedSince(before, GRACE);
    if (!leaked.isEmpty()) {
      throw new AssertionError("the test left these threads running " + GRACE.toSeconds()
          + " s after it ended; close the clients and processors it started: " + leaked);
    }
  }

  /** Watched threads alive now that were not in {@code before}, after waiting up to {@code grace} for them to end. */
  static Set<String> leakedSince(Set<String> before, Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    while (true) {
      Set<String> leaked = watchedThreads();
      leaked.removeAll(before);
      if (leaked.isEmpty() || System.nanoTime() > deadline) {
        return leaked;
      }
      Thread.sleep(50);
    }
  }

  static Set<String> watchedThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> WATCHED.matcher(n).matches())
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
