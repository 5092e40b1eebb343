package io.sagaflow.saga.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Undo steps of a race branch: a channel take inside a branch that loses is returned to its
 * channel. Runs in reverse order so several actions return in their original order.
 */
final class UndoLog {
  private final List<Runnable> steps = new ArrayList<>();

  synchronized void add(Runnable step) {
    steps.add(step);
  }

  synchronized void moveTo(UndoLog parent) {
    if (parent != null) {
      for (Runnable r : steps) {
        parent.add(r);
      }
    }
    steps.clear();
  }

  synchronized void undo() {
    for (int i = steps.size() - 1; i >= 0; i--) {
      steps.get(i).run();
    }
    steps.clear();
  }
}
