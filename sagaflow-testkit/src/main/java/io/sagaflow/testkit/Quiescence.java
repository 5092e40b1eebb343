package io.sagaflow.testkit;

import io.sagaflow.saga.internal.Activity;
import java.util.ArrayList;
import java.util.List;

/**
 * Tracks a tested saga's logical threads so the driver knows when all of them wait on something
 * only the tester can deliver (a take or a delay): then virtual time may advance, or, with no delay
 * pending, the saga is stuck.
 */
final class Quiescence implements Activity {
  private int alive;
  private int controlled;
  private long generation;
  private final List<String> waits = new ArrayList<>();

  @Override
  public synchronized void threadStarted() {
    alive++;
    changed();
  }

  @Override
  public synchronized void threadEnded() {
    alive--;
    changed();
  }

  @Override
  public synchronized void blocked(boolean isControlled, String what) {
    if (isControlled) {
      controlled++;
    }
    waits.add(what);
    changed();
  }

  @Override
  public synchronized void unblocked(boolean isControlled, String what) {
    if (isControlled) {
      controlled--;
    }
    waits.remove(what);
    changed();
  }

  private void changed() {
    generation++;
    notifyAll();
  }

  synchronized boolean idle() {
    return alive > 0 && controlled == alive;
  }

  synchronized long generation() {
    return generation;
  }

  synchronized List<String> waits() {
    return new ArrayList<>(waits);
  }
}
