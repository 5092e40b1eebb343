package io.sagaflow.bench;

/**
 * A consumer runtime under test. Implementations live in this package, have a no-argument constructor and are
 * loaded by name in the child JVM only, so the orchestrator never touches a peer's classes.
 */
interface BenchSystem {

  /** Whether the system lets us see the broker acknowledge its offset commits (for done and p99). */
  boolean observesCommits();

  /** Starts consuming {@code context.topic()} with {@code context.groupId()}; returns once started. */
  void start(BenchContext context) throws Exception;

  /** Stops consuming and releases everything; called once, after the run. */
  void stop() throws Exception;
}
