package io.sagaflow.bench;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Diagnostics of {@code bench saga --metrics}: per scenario, the Kafka requests the embedded
 * broker handled by type and the records and requests of each client, both from JMX (so this JVM's
 * clients and broker only), plus the process CPU time, each divided by the sagas of the scenario.
 */
final class RequestCounters {
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private Map<String, Double> base = Map.of();
  private long cpuBase;
  private long javaCpuBase;
  private long gcBase;

  void reset() {
    base = read();
    cpuBase = cpuNanos();
    javaCpuBase = javaThreadsCpuNanos();
    gcBase = gcMillis();
  }

  void print(String scenario, long sagas) {
    Map<String, Double> now = read();
    long cpu = cpuNanos() - cpuBase;
    long javaCpu = javaThreadsCpuNanos() - javaCpuBase;
    long gc = gcMillis() - gcBase;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "METRIC scenario=%s cpu_ms_per_saga=%.3f java_threads_cpu_ms_per_saga=%.3f"
        + " gc_ms_per_saga=%.3f", scenario, cpu / 1e6 / sagas, javaCpu / 1e6 / sagas, (double) gc / sagas));
    now.forEach((k, v) -> {
      double d = v - base.getOrDefault(k, 0.0);
      if (d > 0) {
        b.append(String.format(Locale.ROOT, " %s=%.3f", k, d / sagas));
      }
    });
    System.out.println(b);
  }

  private static long cpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
  }

  /**
   * CPU time of the live Java threads (application, clients, broker, virtual-thread carriers); leaves
   * out the JIT compiler and GC threads, whose share on a busy machine depends mostly on warm-up.
   */
  private static long javaThreadsCpuNanos() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      if (t > 0) {
        sum += t;
      }
    }
    return sum;
  }

  private static long gcMillis() {
    long sum = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionTime());
    }
    return sum;
  }

  private Map<String, Double> read() {
    Map<String, Double> out = new TreeMap<>();
    try {
      for (ObjectName n : server.queryNames(new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
        String request = n.getKeyProperty("request");
        Object count = server.getAttribute(n, "Count");
        if (count instanceof Number c) {
          out.merge("broker." + request, c.doubleValue(), Double::sum);
        }
      }
      for (ObjectName n : server.queryNames(new ObjectName("kafka.producer:type=producer-metrics,*"), null)) {
        String id = n.getKeyProperty("client-id");
        put(out, "producer." + id + ".requests", n, "request-total");
        put(out, "producer." + id + ".records", n, "record-send-total");
      }
      for (ObjectName n : server.queryNames(new ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,*"), null)) {
        if (n.getKeyProperty("topic") != null || n.getKeyProperty("partition") != null) {
          continue;
        }
        String id = n.getKeyProperty("client-id");
        put(out, "consumer." + id + ".fetches", n, "fetch-total");
        put(out, "consumer." + id + ".records", n, "records-consumed-total");
      }
    } catch (Exception e) {
      throw new IllegalStateException("reading the Kafka metrics from JMX failed: " + e, e);
    }
    return out;
  }

  private void put(Map<String, Double> out, String key, ObjectName n, String attribute) throws Exception {
    Object v = server.getAttribute(n, attribute);
    if (v instanceof Number num) {
      out.merge(key, num.doubleValue(), Double::sum);
    }
  }
}
