package io.sagaflow.examples.purchases;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What was produced and what was consumed in one demo run: the evidence behind the summary.
 * Thread-safe; consumers of different partitions record concurrently.
 */
final class PurchaseLedger {
  private final String run;
  private final Set<String> produced = ConcurrentHashMap.newKeySet();
  private final Set<String> consumed = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> lastSeqByUser = new ConcurrentHashMap<>();
  private final AtomicLong consumedCount = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong outOfOrder = new AtomicLong();
  private final AtomicReference<Exception> produceFailure = new AtomicReference<>();

  PurchaseLedger(String run) {
    this.run = run;
  }

  String run() {
    return run;
  }

  void produced(Purchase p) {
    produced.add(p.id());
  }

  void produceFailed(Exception e) {
    produceFailure.compareAndSet(null, e);
  }

  void throwIfProduceFailed() {
    Exception e = produceFailure.get();
    if (e != null) {
      throw new IllegalStateException("producing a purchase failed: " + e.getMessage(), e);
    }
  }

  /** Records a consumed purchase of this run; one user's purchases arrive from one partition. */
  void consumed(Purchase p) {
    consumedCount.incrementAndGet();
    if (!consumed.add(p.id())) {
      duplicates.incrementAndGet();
      return;
    }
    lastSeqByUser.merge(p.userId(), p.userSeq(), (last, seq) -> {
      if (seq < last) {
        outOfOrder.incrementAndGet();
        return last;
      }
      return seq;
    });
  }

  long producedCount() {
    return produced.size();
  }

  long consumedCount() {
    return consumedCount.get();
  }

  /** Produced purchases not yet consumed. */
  long outstanding() {
    return produced.size() - consumed.size();
  }

  PurchaseDemo.Summary summary(List<Long> perConsumer) {
    long missing = produced.stream().filter(id -> !consumed.contains(id)).count();
    return new PurchaseDemo.Summary(produced.size(), perConsumer, missing, duplicates.get(), outOfOrder.get());
  }
}
