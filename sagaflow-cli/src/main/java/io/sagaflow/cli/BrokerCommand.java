package io.sagaflow.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;
import io.sagaflow.embedded.ListenerKind;
import io.sagaflow.embedded.TestCertificates;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sagaflow broker}: a real Kafka broker (KRaft) in the foreground until Ctrl-C. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a real Apache Kafka broker (KRaft mode) on 127.0.0.1 in the foreground.",
      "Any Kafka client can use it, e.g. kcat -b 127.0.0.1:9092 -t test -P. Ctrl-C or SIGTERM stops it."
    })
final class BrokerCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--port", defaultValue = "9092",
      description = "Port of the first broker; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--brokers", defaultValue = "1",
      description = "1, or 3 brokers plus a controller (ports PORT, PORT+1, PORT+2) (default ${DEFAULT-VALUE}).")
  int brokers;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Keep the data here (kept on exit); default: a temporary directory deleted on exit.")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "6",
      description = "Partitions of auto-created topics (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--no-auto-create", negatable = false,
      description = "Do not create topics when clients first use them.")
  boolean noAutoCreate;

  @Option(names = "--sasl-plain", paramLabel = "USER:PASSWORD",
      description = "Open a SASL_PLAINTEXT listener (and SASL_SSL with --tls) accepting this PLAIN user; repeatable.")
  List<String> plainUsers = new ArrayList<>();

  @Option(names = "--scram", paramLabel = "USER:PASSWORD",
      description = "As --sasl-plain, for a user with SCRAM-SHA-256 and SCRAM-SHA-512 credentials; repeatable.")
  List<String> scramUsers = new ArrayList<>();

  @Option(names = "--oauthbearer", negatable = false,
      description = "Accept SASL/OAUTHBEARER with Kafka's unsecured (unsigned, test-only) JWTs.")
  boolean oauthBearer;

  @Option(names = "--tls", negatable = false,
      description = "Open SSL and mutual-TLS listeners with generated test certificates; client settings"
          + " are written next to them as client-ssl.properties and client-mtls.properties.")
  boolean tls;

  /** The options these flags ask for. */
  EmbeddedKafkaOptions options() {
    EmbeddedKafkaOptions options = EmbeddedKafkaOptions.defaults()
        .withPort(port)
        .withBrokers(brokers)
        .withDefaultPartitions(partitions)
        .withAutoCreateTopics(!noAutoCreate);
    if (dataDir != null) {
      options = options.withDataDir(dataDir);
    }
    for (String user : plainUsers) {
      options = options.withSaslPlainUser(userName(user, "--sasl-plain"), password(user));
    }
    for (String user : scramUsers) {
      options = options.withScramUser(userName(user, "--scram"), password(user));
    }
    if (oauthBearer) {
      options = options.withOAuthBearer();
    }
    return tls ? options.withTls() : options;
  }

  private String userName(String userAndPassword, String option) {
    int colon = userAndPassword.indexOf(':');
    if (colon <= 0 || colon == userAndPassword.length() - 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " takes USER:PASSWORD, e.g. " + option + " alice:alice-secret");
    }
    return userAndPassword.substring(0, colon);
  }

  private static String password(String userAndPassword) {
    return userAndPassword.substring(userAndPassword.indexOf(':') + 1);
  }

  @Override
  public Integer call() throws InterruptedException, IOException {
    EmbeddedKafkaOptions options = options();
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start(options);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      out.println("Stopping Kafka...");
      out.flush();
      kafka.close();
      out.println("Kafka stopped.");
      out.flush();
      stopped.countDown();
    }, "sagaflow-broker-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.printf(Locale.ROOT, "Kafka is running (KRaft, %d broker%s), ready in %.1f s%n",
        brokers, brokers == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9);
    out.println("bootstrap.servers=" + kafka.bootstrapServers());
    for (ListenerKind kind : kafka.listeners()) {
      if (kind != ListenerKind.PLAINTEXT) {
        out.println(kind + " bootstrap.servers=" + kafka.bootstrapServers(kind));
      }
    }
    if (tls) {
      // Files, not output: they hold the store passwords.
      TestCertificates certs = kafka.certificates();
      out.println("TLS client settings: " + writeClientConfig(certs, "client-ssl.properties",
          certs.clientSslProperties()) + " (MTLS: " + writeClientConfig(certs,
          "client-mtls.properties", certs.clientMutualTlsProperties()) + ")");
    }
    out.println("data: " + kafka.dataDir() + (dataDir == null ? " (deleted on exit)" : " (kept)"));
    out.println("Press Ctrl-C to stop.");
    out.flush();
    stopped.await();
    return 0;
  }

  private static Path writeClientConfig(TestCertificates certs, String name, Map<String, String> ssl)
      throws IOException {
    Properties p = new Properties();
    p.put("security.protocol", "SSL");
    p.putAll(ssl);
    Path file = certs.dir().resolve(name);
    try (Writer w = Files.newBufferedWriter(file)) {
      p.store(w, "Kafka client settings for the TLS listeners of sagaflow broker");
    }
    return file;
  }
}
