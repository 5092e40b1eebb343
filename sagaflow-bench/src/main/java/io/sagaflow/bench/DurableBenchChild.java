package io.sagaflow.bench;

import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.DurableOptions;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaMetrics;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The child JVM of {@code bench durable}: one saga consumer, durable or not, running the three-step
 * saga (put a request, take its reply, put a second request, take its reply, put the output) until
 * its standard input closes. It prints {@code READY} once it owns partitions, and answers a
 * {@code HEAP} line on standard input with {@code HEAP <mb>}: the heap in use after a full GC, and
 * a {@code BREAKDOWN} line with {@code BREAKDOWN} lines ({@link Segments}: its sagas' segments and
 * its journal transactions since the last such line) and {@code BREAKDOWN END}, a {@code RESIDENT}
 * line with {@code RESIDENT <resident sagas> <evicted sagas>}, and a {@code JIT} line
 * with {@code JIT <milliseconds of JIT compilation so far>} (-1 where the JVM does not tell).
 * In {@code --waiting} mode the saga puts its output and then waits on a take that is never answered.
 */
@Command(name = "durable-bench-child", mixinStandardHelpOptions = true)
public final class DurableBenchChild implements Callable<Integer> {

  @Option(names = "--bootstrap-servers", required = true)
  String bootstrapServers;

  @Option(names = "--prefix", required = true, description = "Topic prefix: <prefix>-in, -req, -reply, -out")
  String prefix;

  @Option(names = "--group", required = true)
  String group;

  @Option(names = "--durable")
  boolean durable;

  @Option(names = "--waiting", description = "Put the output, then wait for a reply that never comes")
  boolean waiting;

  @Option(names = "--max-in-flight", defaultValue = "5000")
  int maxInFlight;

  @Option(names = "--max-waiting", defaultValue = "200000")
  int maxWaiting;

  @Option(names = "--evict-idle-after-ms", defaultValue = "-1",
      description = "Evict sagas idle this long, in ms; -1 keeps every saga resident")
  long evictIdleAfterMs;

  @Option(names = "--commit-interval-ms", defaultValue = "-1",
      description = "DurableOptions.commitInterval in ms; -1 for the library's default")
  long commitIntervalMs;

  private DurableBenchChild() {}

  public static void main(String[] args) {
    int code = new CommandLine(new DurableBenchChild()).execute(args);
    Runtime.getRuntime().halt(code);
  }

  @Option(names = "--breakdown", description = "Measure the sagas' segments and journal transactions (BREAKDOWN)")
  boolean breakdown;

  /** Where the time of this JVM's sagas went since the last {@code BREAKDOWN} command ({@code --breakdown}). */
  private final Segments segments = new Segments();

  /**
   * The three-step saga of the benchmark (or, waiting, a put followed by a take that is never
   * answered), recording its segments in {@code segments} unless that is null.
   */
  static Saga<Integer> saga(String prefix, boolean waiting, Segments segments) {
    String request = prefix + "-req";
    String reply = prefix + "-reply";
    String out = prefix + "-out";
    if (waiting) {
      return (action, ctx) -> {
        ActionChannel<Integer> never = ctx.actionChannel(ActionPattern.of(reply, Integer.class));
        ctx.put(out, action.payload());
        ctx.take(never);
      };
    }
    return (action, ctx) -> {
      long started = System.nanoTime();
      ActionChannel<Integer> replies = ctx.actionChannel(ActionPattern.of(reply, Integer.class));
      ctx.put(request, action.payload());
      ctx.take(replies);
      long first = System.nanoTime();
      ctx.put(request, action.payload());
      ctx.take(replies);
      long second = System.nanoTime();
      ctx.put(out, action.payload());
      if (segments != null) { // a saga replayed after a restore would record what its replay took: none here
        segments.add("saga-start->reply-1", first - started);
        segments.add("reply-1->reply-2", second - first);
      }
    };
  }

  /** Records each journal transaction's duration and size. */
  private record TransactionTimes(Segments segments) implements SagaMetrics {
    @Override
    public void journalTransaction(String topic, String group, long nanos, int records, boolean failed) {
      segments.add("journal-transaction", nanos);
      segments.count("journal-transaction-records", records);
    }
  }

  @Override
  public Integer call() throws Exception {
    SagaConsumerOptions options = SagaConsumerOptions.of(group).withMaxInFlight(maxInFlight);
    if (durable) {
      DurableOptions durability = DurableOptions.defaults().withMaxWaitingSagas(maxWaiting);
      if (commitIntervalMs > 0) {
        durability = durability.withCommitInterval(Duration.ofMillis(commitIntervalMs));
      }
      options = options.withDurable(evictIdleAfterMs < 0 ? durability.withoutEviction()
          : durability.withEvictIdleAfter(Duration.ofMillis(evictIdleAfterMs)));
    }
    try (SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults().withoutTimeout()
            .withKafkaProperty("bootstrap.servers", bootstrapServers)
            .withKafkaProperty("client.id", "bench-durable-child")
            .withMetrics(breakdown ? new TransactionTimes(segments) : SagaMetrics.none()));
        SagaConsumer consumer = runtime.consumer(prefix + "-in", Integer.class,
            saga(prefix, waiting, breakdown ? segments : null), options)) {
      try {
        Assignments.await(consumer, Duration.ofSeconds(60), "durable-bench-child: the saga consumer");
      } catch (IllegalStateException e) {
        System.err.println(e.getMessage());
        return 2;
      }
      System.out.println("READY");
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("HEAP")) {
          System.out.println("HEAP " + heapAfterGcMb());
          System.out.flush();
        } else if (line.equals("JIT")) {
          System.out.println("JIT " + JitWarmUp.thisJvmMillis());
          System.out.flush();
        } else if (line.equals("BREAKDOWN")) {
          segments.drain().forEach(System.out::println);
          System.out.println("BREAKDOWN END");
          System.out.flush();
        } else if (line.equals("RESIDENT")) {
          int evicted = consumer instanceof io.sagaflow.saga.internal.DurableSagaConsumer<?> d ? d.evictedSagas() : 0;
          System.out.println("RESIDENT " + consumer.residentSagas() + " " + evicted);
          System.out.flush();
        }
      }
    }
    return 0;
  }

  private static long heapAfterGcMb() {
    System.gc();
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage usage = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
      if (usage != null) {
        sum += usage.getUsed();
      }
    }
    return Math.round(sum / (1024.0 * 1024.0));
  }
}
