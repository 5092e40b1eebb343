package io.sagaflow.embedded;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * One KRaft process role set (broker, controller, or both) running in this JVM. Its log directory
 * and ports survive {@link #stop()} so that {@link #start()} brings the same node back.
 */
final class KafkaNode {
  enum Role {
    COMBINED("broker,controller"),
    BROKER("broker"),
    CONTROLLER("controller");

    final String roles;

    Role(String roles) {
      this.roles = roles;
    }
  }

  private final int nodeId;
  private final Role role;
  private final int brokerPort;
  private final int controllerPort;
  private final Map<ListenerKind, Integer> extraPorts;
  private final Path logDir;
  private final Map<String, String> config;
  private KafkaRaftServer server;

  KafkaNode(
      int nodeId,
      Role role,
      int brokerPort,
      int controllerPort,
      Map<ListenerKind, Integer> extraPorts,
      String quorumVoters,
      Path logDir,
      Map<String, String> sharedConfig,
      Map<String, String> securityConfig) {
    this.nodeId = nodeId;
    this.role = role;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.extraPorts = role == Role.CONTROLLER ? Map.of() : Map.copyOf(extraPorts);
    this.logDir = logDir;
    Map<String, String> c = new HashMap<>();
    c.put("process.roles", role.roles);
    c.put("node.id", Integer.toString(nodeId));
    c.put("controller.quorum.voters", quorumVoters);
    c.put("controller.listener.names", "CONTROLLER");
    c.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    c.put("inter.broker.listener.name", "PLAINTEXT");
    c.put("log.dirs", logDir.toString());
    switch (role) {
      case COMBINED -> {
        c.put("listeners",
            "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        c.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
      }
      case BROKER -> {
        c.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        c.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
      }
      case CONTROLLER -> c.put("listeners", "CONTROLLER://127.0.0.1:" + controllerPort);
    }
    // Secured listeners on brokers only: the controller quorum and replication stay on plaintext.
    if (!this.extraPorts.isEmpty()) {
      StringBuilder extra = new StringBuilder();
      new java.util.TreeMap<>(this.extraPorts).forEach((kind, port) ->
          extra.append(',').append(kind.listenerName()).append("://127.0.0.1:").append(port));
      c.put("listeners", c.get("listeners") + extra);
      c.put("advertised.listeners", c.get("advertised.listeners") + extra);
      c.putAll(securityConfig);
    }
    c.putAll(sharedConfig);
    this.config = Map.copyOf(c);
  }

  int nodeId() {
    return nodeId;
  }

  Role role() {
    return role;
  }

  int brokerPort() {
    return brokerPort;
  }

  int controllerPort() {
    return controllerPort;
  }

  /** The port of a secured listener of this broker, or -1 if it has none of that kind. */
  int port(ListenerKind kind) {
    return kind == ListenerKind.PLAINTEXT ? brokerPort : extraPorts.getOrDefault(kind, -1);
  }

  synchronized boolean isRunning() {
    return server != null;
  }

  /** Formats the log directory, unless it was formatted before (a kept data directory). */
  void format(String clusterId) throws Exception {
    if (java.nio.file.Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    new Formatter()
        .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
        .setNodeId(nodeId)
        .setClusterId(clusterId)
        .setDirectories(List.of(logDir.toString()))
        .setMetadataLogDirectory(logDir.toString())
        .setReleaseVersion(MetadataVersion.latestProduction())
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .setControllerListenerName("CONTROLLER")
        .setIgnoreFormatted(true)
        .run();
  }

  synchronized void start() {
    if (server != null) {
      throw new IllegalStateException("node " + nodeId + " is already running");
    }
    Properties props = new Properties();
    props.putAll(config);
    KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    try {
      s.startup();
    } catch (RuntimeException e) {
      shutdownQuietly(s);
      throw e;
    }
    server = s;
  }

  synchronized void stop() {
    KafkaRaftServer s = server;
    server = null;
    if (s != null) {
      shutdownQuietly(s);
    }
  }

  private static void shutdownQuietly(KafkaRaftServer s) {
    s.shutdown();
    s.awaitShutdown();
  }
}
