package io.sagaflow.processor;

/** How records of one partition may run at the same time. */
public enum Ordering {
  /** One record at a time per partition, in offset order. */
  PARTITION,
  /**
   * One record at a time per key, in offset order; any number of keys of one partition run in
   * parallel. Records with a {@code null} key share one lane per partition (kept in order).
   */
  KEY,
  /** No ordering: every record may run at once (bounded only by the in-flight limits). */
  UNORDERED
}
