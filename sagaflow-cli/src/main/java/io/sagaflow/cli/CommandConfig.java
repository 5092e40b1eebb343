package io.sagaflow.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.internal.Redaction;
import picocli.CommandLine;

/**
 * The client settings of a {@code --command-config FILE}: Kafka's own convention, a Java properties
 * file such as {@code security.protocol=SASL_SSL}, {@code sasl.mechanism=SCRAM-SHA-512}, {@code
 * sasl.jaas.config=...}, {@code ssl.truststore.location=...}. They feed the {@link ClusterOptions}
 * every client of the command is built from. {@link #toString()} redacts the secrets; nothing of
 * the file but its path and its key names ever reaches the output.
 *
 * @param path the file
 * @param properties its settings (secrets included)
 */
record CommandConfig(Path path, Map<String, String> properties) {
  CommandConfig {
    properties = Map.copyOf(properties);
  }

  /** Reads the file; a missing, unreadable or malformed file is a usage error (exit code 2). */
  static CommandConfig read(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new CommandLine.TypeConversionException("--command-config " + path + " does not exist or is not a file");
    }
    if (!Files.isReadable(path)) {
      throw new CommandLine.TypeConversionException("--command-config " + path + " is not readable: check its permissions");
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      // The exception's message may quote the file's content: name only the file.
      throw new CommandLine.TypeConversionException("--command-config " + path
          + " is not a Java properties file (key=value per line) readable as UTF-8");
    }
    Map<String, String> m = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
    if (m.containsKey("bootstrap.servers")) {
      throw new CommandLine.TypeConversionException("--command-config " + path
          + " sets bootstrap.servers: give the brokers with --bootstrap-servers instead");
    }
    return new CommandConfig(path, m);
  }

  /** A cluster at {@code bootstrapServers} with {@code defaults} under the file's settings. */
  static ClusterOptions cluster(String bootstrapServers, CommandConfig config, Map<String, String> defaults) {
    ClusterOptions c = ClusterOptions.of(bootstrapServers).withClientProperties(defaults);
    return config == null ? c : c.withClientProperties(config.properties());
  }

  @Override
  public String toString() {
    return "CommandConfig[" + path + ", " + Redaction.redact(properties) + "]";
  }

  /** picocli's converter for {@code --command-config}. */
  static final class Converter implements CommandLine.ITypeConverter<CommandConfig> {
    @Override
    public CommandConfig convert(String value) {
      return read(Path.of(value));
    }
  }
}
