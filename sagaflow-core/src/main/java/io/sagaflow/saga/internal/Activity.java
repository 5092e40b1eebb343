package io.sagaflow.saga.internal;

/**
 * Observes the logical threads of running sagas and what they block on, so a test driver can tell
 * when every thread waits on something only the driver can deliver (a take or a delay) and then
 * advance virtual time or report a stuck saga.
 */
public interface Activity {

  /** Ignores everything. */
  Activity NONE = new Activity() {};

  /** A logical saga thread (a run, or an all/race branch) is about to start. */
  default void threadStarted() {}

  /** A logical saga thread ended. */
  default void threadEnded() {}

  /**
   * The current thread blocks.
   *
   * @param controlled true for waits a test driver controls (take, delay, waiting for branches),
   *     false for others (a put's acknowledgement, an asynchronous call)
   * @param what a description for error messages
   */
  default void blocked(boolean controlled, String what) {}

  /** The current thread stopped blocking. */
  default void unblocked(boolean controlled, String what) {}
}
