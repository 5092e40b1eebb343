package io.sagaflow.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The failures of one bench run, and the exit code they make: a bench command exits with 1 only when one
 * of Sagaflow's own systems failed (sagas or records missing, a child that printed no result). A peer (a
 * system measured beside Sagaflow: kafka-sagas, Restate, Parallel Consumer, Spring Kafka, Kafka Streams)
 * that fails a scenario prints its line ({@code RESULT … missing=}, {@code FAILED} with the reason), is
 * named in the closing summary, and the run goes on with the next scenario and system: how a peer fails
 * under a load is one of the results, not a fault of the run. A peer that cannot run at all prints
 * {@code SKIP} and is no failure either.
 */
final class BenchOutcome {
  private final Set<String> own;
  private final List<String> ownFailures = new ArrayList<>();
  private final List<String> peerFailures = new ArrayList<>();

  /** @param own the names of Sagaflow's own systems in this bench (every other system is a peer) */
  BenchOutcome(Set<String> own) {
    this.own = Set.copyOf(own);
  }

  boolean isOwn(String system) {
    return own.contains(system);
  }

  /** Records that {@code system} failed; {@code what} says where, e.g. {@code durable-3step-saturated missing=12}. */
  void failed(String system, String what) {
    (isOwn(system) ? ownFailures : peerFailures).add(system + " " + what);
  }

  /** 1 when one of Sagaflow's own systems failed, else 0 (whatever the peers did). */
  int exitCode() {
    return ownFailures.isEmpty() ? 0 : 1;
  }

  /** A closing line naming every failure and whether it sets the exit code; empty when nothing failed. */
  Optional<String> summary() {
    if (ownFailures.isEmpty() && peerFailures.isEmpty()) {
      return Optional.empty();
    }
    StringBuilder line = new StringBuilder("bench:");
    if (!ownFailures.isEmpty()) {
      line.append(" failed (exit code 1): ").append(String.join("; ", ownFailures)).append('.');
    }
    if (!peerFailures.isEmpty()) {
      line.append(" peers failed (exit code unaffected): ").append(String.join("; ", peerFailures)).append('.');
    }
    return Optional.of(line.toString());
  }
}
