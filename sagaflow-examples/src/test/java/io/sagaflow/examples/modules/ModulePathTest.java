package io.sagaflow.examples.modules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's named module compiles against {@code io.sagaflow.core} on the module path: the public
 * packages are readable (Kafka, Jackson and SLF4J types come along through {@code requires
 * transitive}), the {@code internal} ones are not, not even the one exported to the testkit.
 *
 * <p>The other tests run on the class path; this one checks the descriptor itself. The module path
 * is made of sagaflow-core (its jar, or {@code target/classes} when only {@code test} ran: both
 * hold module-info.class) and its required libraries, taken from the test class path.
 */
class ModulePathTest {
  private static final Pattern CORE_AND_ITS_REQUIRES = Pattern.compile(
      ".*(sagaflow-core[^" + Pattern.quote(File.separator) + "]*\\.jar|sagaflow-core.target.classes"
          + "|kafka-clients-[^/\\\\]*\\.jar|jackson-(core|databind|annotations)-[^/\\\\]*\\.jar"
          + "|slf4j-api-[^/\\\\]*\\.jar)$");

  private static String modulePath() {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> entries = Arrays.stream(classPath.split(Pattern.quote(File.pathSeparator)))
        .filter(e -> CORE_AND_ITS_REQUIRES.matcher(e).matches())
        .toList();
    assertThat(entries).as("sagaflow-core and its libraries on the test class path")
        .anyMatch(e -> e.contains("sagaflow-core"))
        .anyMatch(e -> e.contains("kafka-clients"))
        .anyMatch(e -> e.contains("jackson-databind"));
    return String.join(File.pathSeparator, entries);
  }

  /** Compiles {@code module com.example} with {@code source} as com/example/App.java; javac's output. */
  private static String compileUserModule(Path dir, String source) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/com/example"));
    Files.writeString(dir.resolve("src/module-info.java"), "module com.example { requires io.sagaflow.core; }\n");
    Files.writeString(src.resolve("App.java"), source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter out = new StringWriter();
    try (StandardJavaFileManager files = javac.getStandardFileManager(null, Locale.ROOT, null)) {
      boolean ok = javac.getTask(out, files, null, List.of("-proc:none", "-Xlint:-requires-automatic",
              "--module-path", modulePath(), "-d", dir.resolve("out").toString()), null,
          files.getJavaFileObjects(dir.resolve("src/module-info.java"), src.resolve("App.java"))).call();
      return (ok ? 0 : 1) + "\n" + out;
    }
  }

  @Test
  void aUserModuleReadsThePublicPackagesAndTheLibrariesTheyExpose(@TempDir Path dir) throws IOException {
    String result = compileUserModule(dir, """
        package com.example;

        import io.sagaflow.processor.Processor;
        import io.sagaflow.processor.ProcessorOptions;
        import io.sagaflow.saga.ActionCodec;
        import org.apache.kafka.common.serialization.StringDeserializer;

        class App {
          Processor<String, String> processor() {
            ProcessorOptions<String, String> options = ProcessorOptions
                .create("127.0.0.1:9092", "g", new StringDeserializer(), new StringDeserializer())
                .withTopics("t");
            ActionCodec.create().mapper();           // a Jackson ObjectMapper: read transitively
            return Processor.forRecords(options, record -> {});
          }
        }
        """);
    assertThat(result).startsWith("0\n");
  }

  @Test
  void internalPackagesAreNotVisibleToUsers(@TempDir Path dir) throws IOException {
    String result = compileUserModule(dir, """
        package com.example;

        class App {
          Object a = io.sagaflow.saga.internal.Activity.NONE;
          Class<?> b = io.sagaflow.recovery.internal.Replayer.class;
        }
        """);
    assertThat(result).startsWith("1\n")
        .contains("package io.sagaflow.saga.internal is not visible")
        .contains("package io.sagaflow.recovery.internal is not visible");
  }
}
