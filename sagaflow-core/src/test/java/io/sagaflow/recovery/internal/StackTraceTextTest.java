package io.sagaflow.recovery.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The dead-letter stack trace: printStackTrace's text, without the runtime's frames, bounded. */
class StackTraceTextTest {

  static StackTraceElement frame(String cls, int line) {
    return new StackTraceElement(cls, "run", cls.substring(cls.lastIndexOf('.') + 1) + ".java", line);
  }

  static <T extends Throwable> T withFrames(T t, StackTraceElement... frames) {
    t.setStackTrace(frames);
    return t;
  }

  static String text(Throwable t, int maxBytes) {
    return new String(StackTraceText.utf8(t, maxBytes), StandardCharsets.UTF_8);
  }

  static String printed(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out, true));
    return out.toString().replace(System.lineSeparator(), "\n");
  }

  @Test
  void rendersWhatPrintStackTracePrintsWhenNothingIsLeftOut() {
    StackTraceElement main = frame("app.Main", 3);
    StackTraceElement loop = frame("app.Loop", 7);
    Exception cause = withFrames(new java.io.IOException("disk"), frame("app.Disk", 1), frame("app.Store", 2), loop, main);
    Exception suppressed = withFrames(new IllegalArgumentException("close failed"), frame("app.Closer", 9), loop, main);
    RuntimeException top = withFrames(new IllegalStateException("payment declined", cause),
        frame("app.Payments", 42), frame("app.Handler", 11), loop, main);
    top.addSuppressed(suppressed);
    Exception nativeFrame = withFrames(new RuntimeException(),
        new StackTraceElement("app.Jni", "call", null, -2), new StackTraceElement("app.Gen", "x", null, -1),
        new StackTraceElement("app.NoLine", "y", "NoLine.java", -1));

    assertThat(text(top, 16 * 1024)).isEqualTo(printed(top));
    assertThat(text(nativeFrame, 16 * 1024)).isEqualTo(printed(nativeFrame))
        .contains("(Native Method)", "(Unknown Source)", "(NoLine.java)");
  }

  @Test
  void dropsTheRuntimeFramesBeneathTheHandler() {
    RuntimeException e = withFrames(new IllegalStateException("record 42 always fails"),
        frame("app.Handler", 10), frame("app.Handler$$Lambda", 1),
        frame("io.sagaflow.processor.internal.HandlerInvoker", 200),
        frame("io.sagaflow.processor.internal.Lane", 40),
        frame("java.lang.VirtualThread", 300), frame("jdk.internal.vm.Continuation", 5));

    assertThat(text(e, 16 * 1024)).isEqualTo("""
        java.lang.IllegalStateException: record 42 always fails
        \tat app.Handler.run(Handler.java:10)
        \tat app.Handler$$Lambda.run(Handler$$Lambda.java:1)
        \t... 4 more
        """);
  }

  @Test
  void runtimeFramesAboveUserCodeAreKept() {
    // Only the trailing run goes: a runtime frame between user frames is part of the story.
    RuntimeException e = withFrames(new IllegalStateException(), frame("app.A", 1),
        frame("java.util.concurrent.CompletableFuture", 2), frame("app.B", 3),
        frame("io.sagaflow.processor.internal.Lane", 4));

    assertThat(text(e, 16 * 1024)).contains("CompletableFuture.run", "app.B.run").endsWith("\t... 1 more\n");
  }

  @Test
  void keepsTheFrameThatCreatedAnExceptionOfTheRuntimeItself() {
    RuntimeException e = withFrames(new RuntimeException("cannot deserialize the value"),
        frame("io.sagaflow.processor.internal.Delivery", 100), frame("io.sagaflow.processor.internal.Lane", 40));

    assertThat(text(e, 16 * 1024)).isEqualTo("""
        java.lang.RuntimeException: cannot deserialize the value
        \tat io.sagaflow.processor.internal.Delivery.run(Delivery.java:100)
        \t... 1 more
        """);
  }

  @Test
  void aRealFailureOnAVirtualThreadShowsItsOwnFramesOnly() throws Exception {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread.ofVirtual().start(() -> thrown.set(new IllegalStateException("boom"))).join();

    String text = text(thrown.get(), 16 * 1024);

    assertThat(text).startsWith("java.lang.IllegalStateException: boom\n\tat io.sagaflow.recovery.internal."
        + "StackTraceTextTest.lambda$aRealFailureOnAVirtualThreadShowsItsOwnFramesOnly$")
        .doesNotContain("VirtualThread.run", "Continuation").containsPattern("\t\\.\\.\\. \\d+ more\n$");
  }

  @Test
  void boundsFramesPerThrowable() {
    StackTraceElement[] deep = new StackTraceElement[100];
    for (int i = 0; i < deep.length; i++) {
      deep[i] = frame("app.Recursive", i);
    }
    String text = text(withFrames(new StackOverflowError(), deep), 1 << 20);

    assertThat(text.lines().filter(l -> l.startsWith("\tat ")).count()).isEqualTo(StackTraceText.MAX_FRAMES);
    assertThat(text).endsWith("\t... " + (100 - StackTraceText.MAX_FRAMES) + " more\n");
  }

  @Test
  void theCacheNeverMixesUpMessagesOrFrames() {
    String first = text(withFrames(new IllegalStateException("record 1"), frame("app.Handler", 10)), 4096);
    String sameFrames = text(withFrames(new IllegalStateException("record 2"), frame("app.Handler", 10)), 4096);
    String otherLine = text(withFrames(new IllegalStateException("record 3"), frame("app.Handler", 11)), 4096);

    assertThat(first).isEqualTo("java.lang.IllegalStateException: record 1\n\tat app.Handler.run(Handler.java:10)\n");
    assertThat(sameFrames).isEqualTo("java.lang.IllegalStateException: record 2\n\tat app.Handler.run(Handler.java:10)\n");
    assertThat(otherLine).isEqualTo("java.lang.IllegalStateException: record 3\n\tat app.Handler.run(Handler.java:11)\n");
    // The same frames as a suppressed exception are indented: a different cache entry.
    RuntimeException outer = withFrames(new RuntimeException("outer"), frame("app.Outer", 1));
    outer.addSuppressed(withFrames(new IllegalStateException("inner"), frame("app.Handler", 10)));
    assertThat(text(outer, 4096)).contains("\tSuppressed: java.lang.IllegalStateException: inner\n"
        + "\t\tat app.Handler.run(Handler.java:10)\n");
  }

  @Test
  void aCircularCauseChainEnds() {
    Exception a = withFrames(new Exception("a"), frame("app.A", 1));
    Exception b = withFrames(new Exception("b"), frame("app.B", 1));
    a.initCause(b);
    b.initCause(a);

    assertThat(text(a, 4096)).contains("Caused by: java.lang.Exception: b", "[CIRCULAR REFERENCE: java.lang.Exception: a]");
  }

  @Test
  void aThrowingToStringFallsBackToTheClassName() {
    RuntimeException odd = withFrames(new RuntimeException() {
      @Override
      public String toString() {
        throw new UnsupportedOperationException("no");
      }
    }, frame("app.A", 1));

    assertThat(text(odd, 4096)).startsWith(odd.getClass().getName() + "\n\tat app.A.run");
  }

  @Test
  void cutsAtTheByteCapWithoutSplittingCharactersAndSaysSo() {
    RuntimeException e = withFrames(new IllegalArgumentException("\u00e9".repeat(400)), frame("app.A", 1));
    for (int cap : new int[] {256, 257, 300, 301}) {
      byte[] bytes = StackTraceText.utf8(e, cap);
      String text = new String(bytes, StandardCharsets.UTF_8);
      assertThat(bytes.length).isBetween(cap - 2, cap);
      // The message is cut (it is the only line), ended, and followed by the marker.
      assertThat(text).startsWith("java.lang.IllegalArgumentException: \u00e9").doesNotContain("\ufffd")
          .endsWith("\u00e9\n" + StackTraceText.CUT_MARKER);
    }
    assertThat(StackTraceText.utf8(withFrames(new RuntimeException("short"), frame("app.A", 1)), 256))
        .hasSize("java.lang.RuntimeException: short\n\tat app.A.run(A.java:1)\n".length());
  }

  @Test
  void aTraceOverTheCapKeepsEveryCauseWithFewerFramesAndEndsWithTheMarker() {
    Exception root = withFrames(new java.io.IOException("connection reset"), deep("app.Socket", 40));
    Exception middle = withFrames(new IllegalStateException("repository failed", root), deep("app.Repository", 40));
    RuntimeException top = withFrames(new RuntimeException("order 7 failed", middle), deep("app.Handler", 40));
    assertThat(text(top, 1 << 20)).hasSizeGreaterThan(4000).doesNotContain(StackTraceText.CUT_MARKER);

    byte[] bytes = StackTraceText.utf8(top, 2048);
    String text = new String(bytes, StandardCharsets.UTF_8);

    assertThat(bytes.length).isLessThanOrEqualTo(2048);
    assertThat(text).startsWith("java.lang.RuntimeException: order 7 failed\n\tat app.Handler0.run(Handler0.java:0)\n")
        .contains("\nCaused by: java.lang.IllegalStateException: repository failed\n\tat app.Repository0.run",
            "\nCaused by: java.io.IOException: connection reset\n\tat app.Socket0.run(Socket0.java:0)\n")
        .endsWith(StackTraceText.CUT_MARKER);
    // Eight frames of each of the three throwables fit in 2 KiB; the rest are counted, as printStackTrace does.
    assertThat(text.lines().filter(l -> l.startsWith("\tat ")).count()).isEqualTo(3 * 8);
    assertThat(text).contains("\tat app.Handler7.run", "\t... 32 more\n").doesNotContain("app.Handler8");

    // A tighter cap: one frame each, every exception line still there, and never a partial line.
    String tight = text(top, 300);
    assertThat(tight.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(300);
    assertThat(tight.lines().filter(l -> l.startsWith("\tat ")).count()).isBetween(1L, 3L);
    assertThat(tight).startsWith("java.lang.RuntimeException: order 7 failed\n")
        .contains("Caused by: java.lang.IllegalStateException").endsWith(StackTraceText.CUT_MARKER);
    assertThat(tight.lines()).allMatch(l -> !l.startsWith("\tat ") || l.endsWith(")"));
  }

  private static StackTraceElement[] deep(String prefix, int n) {
    StackTraceElement[] frames = new StackTraceElement[n];
    for (int i = 0; i < n; i++) {
      frames[i] = frame(prefix + i, i);
    }
    return frames;
  }
}
