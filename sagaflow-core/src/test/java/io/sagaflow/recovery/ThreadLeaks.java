package io.sagaflow.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Compares live threads before and after a test, allowing threads a moment to finish. */
final class ThreadLeaks {
  private ThreadLeaks() {}

  static Set<String> liveThreadNames() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  static void assertNoNewThreads(Set<String> before) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Set<String> leaked;
    do {
      leaked = liveThreadNames();
      leaked.removeAll(before);
      leaked.removeIf(ThreadLeaks::isJvmOwned);
      if (leaked.isEmpty()) {
        return;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    assertThat(leaked).as("threads left running").isEmpty();
  }

  private static boolean isJvmOwned(String name) {
    // JDK-owned pools that outlive any one client (and that a client does not own).
    return name.startsWith("ForkJoinPool") || name.startsWith("process reaper")
        || name.equals("CompletableFutureDelayScheduler") // orTimeout's shared timer
        || name.equals("Attach Listener") || name.startsWith("Common-Cleaner")
        // Yammer metrics' static tick executor, started by the broker and never stopped by it.
        || name.startsWith("metrics-meter-tick-thread")
        || name.equals("VirtualThread-unblocker");
  }
}
