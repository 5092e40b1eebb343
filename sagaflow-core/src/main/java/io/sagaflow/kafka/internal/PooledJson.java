package io.sagaflow.kafka.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON factories whose generator and parser buffers are recycled in a pool shared by all threads.
 *
 * <p>Why. Jackson's default buffer pool is per thread. Handlers and sagas run on short-lived
 * virtual threads, so with the default every {@code writeValueAsBytes} on such a thread allocates
 * fresh buffers (a byte and a char buffer of about 8 KB each) and drops them: in {@code bench
 * durable} that was a fifth of the saga JVM's allocation. A concurrent pool keeps one set of buffers
 * per thread that is encoding at the same instant, which is about the number of carrier threads.
 */
public final class PooledJson {
  private PooledJson() {}

  /** A plain JSON factory with a pool shared by all threads. */
  public static JsonFactory factory() {
    return JsonFactory.builder().recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build();
  }

  /** A new {@link ObjectMapper} over {@link #factory()}. */
  public static ObjectMapper mapper() {
    return new ObjectMapper(factory());
  }
}
