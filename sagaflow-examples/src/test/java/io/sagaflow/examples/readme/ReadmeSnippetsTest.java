package io.sagaflow.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's code compiles, and its module table names the real modules.
 *
 * <p>Convention for the {@code ```java} blocks of README.md (every one is compiled):
 *
 * <ul>
 *   <li>A block is the body of a method {@code void snippet() throws Exception} of a class that
 *       extends {@link ReadmeContext}. Declarations a method body allows (local records, classes,
 *       annotated test classes) may appear in it.
 *   <li>Names a reader would have in their own code ({@code bootstrap}, {@code options},
 *       {@code handler}, {@code Order}, {@code billing}, ...) come from {@link ReadmeContext}.
 *   <li>Every Sagaflow package is imported, with {@code java.time}, {@code java.util}, Kafka's
 *       serializers and JUnit's API ({@link #IMPORTS}).
 *   <li>A block fenced {@code ```java <module>} (e.g. {@code ```java spring-boot}) needs a module
 *       that builds after this one; it is not compiled here (its module's tests use the same API).
 *   <li>{@code ...} stands for elided code: it is removed before compiling (so {@code { ... }} is
 *       an empty body and a line of {@code ...} is nothing).
 * </ul>
 */
class ReadmeSnippetsTest {
  static final List<String> IMPORTS = List.of(
      "io.sagaflow.admin.*", "io.sagaflow.kafka.*", "io.sagaflow.processor.*", "io.sagaflow.recovery.*",
      "io.sagaflow.routing.*", "io.sagaflow.saga.*", "io.sagaflow.embedded.*", "io.sagaflow.testkit.*",
      "io.sagaflow.examples.pizza.*", "io.sagaflow.examples.readme.ReadmeContext.*",
      "java.nio.file.*", "java.time.*", "java.util.*", "org.apache.kafka.common.serialization.*",
      "org.junit.jupiter.api.*", "org.junit.jupiter.api.extension.*",
      "com.fasterxml.jackson.databind.JsonNode", "io.micrometer.core.instrument.Tags");

  private static final Pattern FENCE = Pattern.compile("^```java\\s*$");

  static String readme;
  static Path root;

  @BeforeAll
  static void readReadme() throws IOException {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("README.md"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("README.md in a directory above the working directory").isNotNull();
    root = dir;
    readme = Files.readString(dir.resolve("README.md"), StandardCharsets.UTF_8);
  }

  /** A {@code ```java} block and the README line it starts on. */
  record Snippet(int line, String code) {
    String className() {
      return "Snippet_L" + line;
    }

    String source() {
      StringBuilder s = new StringBuilder("package readme;\n");
      IMPORTS.forEach(i -> s.append("import ").append(i).append(";\n"));
      s.append("@SuppressWarnings(\"all\")\nclass ").append(className())
          .append(" extends io.sagaflow.examples.readme.ReadmeContext {\n")
          .append("void snippet() throws Exception {\n")
          .append(code.replace("...", ""))
          .append("\n}\n}\n");
      return s.toString();
    }

    /** The first line of the snippet's code within {@link #source()}. */
    int firstCodeLine() {
      return IMPORTS.size() + 5;
    }
  }

  static List<Snippet> snippets(String markdown) {
    List<Snippet> out = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (FENCE.matcher(lines[i]).matches()) {
        int start = i + 1;
        int end = start;
        while (end < lines.length && !lines[end].startsWith("```")) {
          end++;
        }
        out.add(new Snippet(start + 1, String.join("\n", List.of(lines).subList(start, end))));
        i = end;
      }
    }
    return out;
  }

  @Test
  void everyJavaBlockOfTheReadmeCompiles(@TempDir Path classes) throws IOException {
    List<Snippet> snippets = snippets(readme);
    assertThat(snippets).as("```java blocks in README.md").hasSizeGreaterThanOrEqualTo(8);
    String errors = compileErrors(snippets, classes);
    if (!errors.isEmpty()) {
      fail(errors);
    }
  }

  @Test
  void aSnippetThatDoesNotCompileIsReportedWithItsReadmeLineAndCode(@TempDir Path classes) throws IOException {
    List<Snippet> s = snippets("text\n```java\nint x = 1;\n```\n\n```java\nint y = 2;\nNoSuchType z = null;\n```\n");
    assertThat(s).extracting(Snippet::line).containsExactly(3, 7);
    assertThat(compileErrors(s.subList(0, 1), classes)).isEmpty();
    assertThat(compileErrors(s, classes))
        .startsWith("The ```java block at README.md line 7 does not compile:\nREADME.md:8: cannot find symbol")
        .contains("--- snippet ---\nint y = 2;\nNoSuchType z = null;");
  }

  /** The compiler's errors for {@code snippets}, by snippet and README line; empty when they compile. */
  static String compileErrors(List<Snippet> snippets, Path classes) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertThat(javac).as("a JDK compiler (the tests run on a JDK, not a JRE)").isNotNull();
    // Surefire runs the tests from a manifest-only jar; the real class path is in this property.
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Map<String, Snippet> byClass = new LinkedHashMap<>();
    List<JavaFileObject> units = new ArrayList<>();
    for (Snippet s : snippets) {
      byClass.put(s.className(), s);
      units.add(new SimpleJavaFileObject(
          URI.create("string:///readme/" + s.className() + ".java"), JavaFileObject.Kind.SOURCE) {
        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
          return s.source();
        }
      });
    }
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      javac.getTask(new StringWriter(), files, diagnostics,
          List.of("-proc:none", "-classpath", classPath, "-d", classes.toString()), null, units).call();
    }

    Map<Snippet, List<String>> errors = new LinkedHashMap<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) {
        continue;
      }
      Snippet s = d.getSource() == null ? null : byClass.get(simpleName(d.getSource()));
      if (s == null) {
        return "javac: " + d.getMessage(Locale.ROOT);
      }
      long line = d.getLineNumber() - s.firstCodeLine() + s.line();
      errors.computeIfAbsent(s, k -> new ArrayList<>())
          .add("README.md:" + line + ": " + d.getMessage(Locale.ROOT));
    }
    return errors.entrySet().stream()
        .map(e -> "The ```java block at README.md line " + e.getKey().line() + " does not compile:\n"
            + String.join("\n", e.getValue()) + "\n--- snippet ---\n" + e.getKey().code())
        .collect(Collectors.joining("\n\n"));
  }

  private static String simpleName(JavaFileObject source) {
    String path = source.toUri().getPath();
    return path.substring(path.lastIndexOf('/') + 1, path.length() - ".java".length());
  }

  /**
   * The "Modules" table lists exactly the modules of the build, and every class it names in
   * backticks exists in the module it is listed under.
   */
  @Test
  void theModuleTableMatchesTheBuild() throws IOException {
    int at = readme.indexOf("\n## Modules");
    assertThat(at).as("a '## Modules' section").isPositive();
    Matcher row = Pattern.compile("^\\| `([a-z-]+)` \\| (.*) \\|$", Pattern.MULTILINE).matcher(readme.substring(at));
    Map<String, String> table = new LinkedHashMap<>();
    while (row.find()) {
      table.put(row.group(1), row.group(2));
    }
    String pom = Files.readString(root.resolve("pom.xml"), StandardCharsets.UTF_8);
    Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
    List<String> modules = new ArrayList<>();
    while (module.find()) {
      modules.add(module.group(1));
    }
    assertThat(table.keySet()).as("modules in README's table").containsExactlyInAnyOrderElementsOf(modules);

    Pattern type = Pattern.compile("`([A-Z][A-Za-z0-9]*)`");
    for (Map.Entry<String, String> e : table.entrySet()) {
      Matcher m = type.matcher(e.getValue());
      while (m.find()) {
        String name = m.group(1) + ".java";
        Path sources = root.resolve(e.getKey()).resolve("src/main/java");
        try (var walk = Files.walk(sources)) {
          assertThat(walk.anyMatch(p -> p.getFileName().toString().equals(name)))
              .as("README's module table says %s has `%s`", e.getKey(), m.group(1))
              .isTrue();
        }
      }
    }
  }
}
