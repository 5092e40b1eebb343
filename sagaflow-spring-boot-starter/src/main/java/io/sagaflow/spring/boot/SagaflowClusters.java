package io.sagaflow.spring.boot;

import io.sagaflow.kafka.ClusterOptions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Kafka clusters of {@code sagaflow.clusters}, as {@link ClusterOptions} by name, with the one
 * that listeners, recovery and sagas use when they name none. A bean: inject it to build Sagaflow
 * parts of your own on the same clusters.
 */
public final class SagaflowClusters {
  private final Map<String, ClusterOptions> clusters;
  private final String defaultName;

  SagaflowClusters(Map<String, ClusterOptions> clusters, String defaultName) {
    this.clusters = Map.copyOf(clusters);
    this.defaultName = defaultName;
  }

  /** {@return the names of the configured clusters} */
  public Set<String> names() {
    return new TreeMap<>(clusters).keySet();
  }

  /**
   * The cluster named {@code name}, or the default one for a null or empty name.
   *
   * @param name the cluster's name under {@code sagaflow.clusters}, or null or empty
   * @return its options
   * @throws IllegalStateException when there is no such cluster; the message says how to configure it
   */
  public ClusterOptions get(String name) {
    if (name == null || name.isEmpty()) {
      return defaultCluster();
    }
    ClusterOptions c = clusters.get(name);
    if (c == null) {
      throw new IllegalStateException("no Kafka cluster named '" + name + "' is configured (clusters: " + names()
          + "); set sagaflow.clusters." + name + ".bootstrap-servers=host:port");
    }
    return c;
  }

  /**
   * The default cluster: {@code sagaflow.cluster}, else the only one configured, else the one named
   * {@value ClusterOptions#DEFAULT_NAME}.
   *
   * @return its options
   * @throws IllegalStateException when none applies; the message says what to set
   */
  public ClusterOptions defaultCluster() {
    if (defaultName != null && !defaultName.isEmpty()) {
      return get(defaultName);
    }
    if (clusters.size() == 1) {
      return clusters.values().iterator().next();
    }
    ClusterOptions c = clusters.get(ClusterOptions.DEFAULT_NAME);
    if (c != null) {
      return c;
    }
    throw new IllegalStateException(clusters.isEmpty()
        ? "no Kafka cluster is configured: set sagaflow.clusters.default.bootstrap-servers=host:port"
        : "several Kafka clusters are configured " + names() + " and none is the default: set sagaflow.cluster"
            + " to one of them, or name the cluster where it is used");
  }

  @Override
  public String toString() {
    return "SagaflowClusters" + new TreeMap<>(Objects.requireNonNull(clusters)).values();
  }
}
