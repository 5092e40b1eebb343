package io.sagaflow.spring.boot.example;

import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.spring.boot.SagaflowListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/** Consumes the purchases: one at a time per user (KEY ordering), many users at once. */
@Component
class PurchaseListener {
  /** The last purchase consumed per user (its position among the user's purchases). */
  final Map<String, Long> lastSeqPerUser = new ConcurrentHashMap<>();
  final AtomicLong consumed = new AtomicLong();
  final AtomicLong duplicates = new AtomicLong();
  final AtomicLong outOfOrder = new AtomicLong();

  @SagaflowListener(topics = "purchases", groupId = "purchase-consumers", concurrency = "200", retry = "decline")
  void onPurchase(ProcessorRecord<String, Purchase> record) {
    Purchase p = record.value();
    if (p.cents() > 50_000) {
      throw new IllegalArgumentException("purchase " + p.id() + " declined: " + p.cents() + " cents is over the limit");
    }
    long previous = lastSeqPerUser.getOrDefault(p.userId(), 0L);
    if (p.userSeq() == previous) {
      duplicates.incrementAndGet();
    } else if (p.userSeq() < previous) {
      outOfOrder.incrementAndGet();
    }
    lastSeqPerUser.merge(p.userId(), p.userSeq(), Math::max);
    consumed.incrementAndGet();
  }

  /** A purchase: JSON on topic purchases, keyed by the user. */
  record Purchase(String id, String userId, String item, long cents, long userSeq) {}
}
