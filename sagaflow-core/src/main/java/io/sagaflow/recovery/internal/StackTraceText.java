package io.sagaflow.recovery.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code kafka_dlt-exception-stacktrace} header value: the text {@link
 * Throwable#printStackTrace()} prints, made cheap and short.
 *
 * <p>Design note. Every dead letter carries this text, so it costs twice: rendering it (with
 * {@code printStackTrace}, a {@code StackTraceElement.toString()} per frame through a synchronized
 * writer) and, larger, its bytes, which the producer copies and checksums and the broker validates
 * and stores for each failed record; in {@code bench recovery} the dead letters of 2% of the records
 * carried more bytes than all the other 98%. So:
 *
 * <ol>
 *   <li>Frames below the handler are dropped: the trailing run of frames of the processor's own
 *       runtime ({@code io.sagaflow.processor.internal}, virtual-thread, thread and executor
 *       machinery) is the same for every failure and says nothing about this one. It is replaced by
 *       {@code "\t... n more"}, the line {@code printStackTrace} writes for frames a cause shares
 *       with its enclosing trace; the frame that created the throwable is always kept.
 *   <li>At most {@link #MAX_FRAMES} frames per throwable, {@link #MAX_DEPTH} nested causes or
 *       suppressed exceptions, {@link #MAX_SUPPRESSED} suppressed per throwable.
 *   <li>The text of a throwable's frames is cached by those frames (class, method, file, line), so
 *       the thousandth failure of the same code path costs a map lookup; the cache is bounded (it
 *       is cleared when full).
 *   <li>A trace over the byte cap ({@code RecoveryOptions.maxStackTraceBytes}) is rendered again
 *       with fewer frames per throwable ({@link #FRAME_STEPS}: 8, then 2, then 1), so that every
 *       {@code "Caused by: "} line survives, the root cause included, which a plain cut at the cap
 *       would drop first; only if one frame each is still too long is the text cut (a partial
 *       indented line is dropped, a long message is cut, never inside a character). A shortened
 *       trace ends with the line {@link #CUT_MARKER}, counted in the cap. A trace that fits is
 *       rendered once.
 * </ol>
 *
 * The layout is {@code printStackTrace}'s ({@code "\tat "}, {@code "Caused by: "}, {@code
 * "Suppressed: "}, {@code "\t... n more"}), so tools that parse Spring's dead letters parse ours;
 * frames omit the module prefix ({@code java.base/}).
 */
final class StackTraceText {
  static final int MAX_FRAMES = 40;
  static final int MAX_DEPTH = 8;
  static final int MAX_SUPPRESSED = 4;
  static final int CACHE_ENTRIES = 512;
  /** Frames per throwable tried in turn while the trace is over the cap. */
  static final int[] FRAME_STEPS = {MAX_FRAMES, 8, 2, 1};
  /** The last line of a trace shortened to fit the cap (a tab and dots, like {@code "\t... n more"}). */
  static final String CUT_MARKER = "\t... [cut to fit RecoveryOptions.maxStackTraceBytes]\n";
  private static final byte[] CUT_MARKER_BYTES = CUT_MARKER.getBytes(StandardCharsets.UTF_8);

  private static final ConcurrentHashMap<Frames, byte[]> CACHE = new ConcurrentHashMap<>();

  private StackTraceText() {}

  /**
   * The trace of {@code error} as UTF-8, at most {@code maxBytes} bytes (which must leave room for
   * {@link #CUT_MARKER} and a line or so: {@code RecoveryOptions} asks for at least 256).
   */
  static byte[] utf8(Throwable error, int maxBytes) {
    Out whole = render(error, maxBytes, MAX_FRAMES);
    if (!whole.full()) {
      return whole.bytes();
    }
    int room = maxBytes - CUT_MARKER_BYTES.length - 1; // the marker, and a newline before it after a hard cut
    Out out = null;
    for (int i = 1; i < FRAME_STEPS.length && (out == null || out.full()); i++) {
      out = render(error, room, FRAME_STEPS[i]);
    }
    return out.cutToLine().append(CUT_MARKER_BYTES).bytes();
  }

  private static Out render(Throwable error, int maxBytes, int maxFrames) {
    Out out = new Out(maxBytes + CUT_MARKER_BYTES.length + 1);
    out.limit(maxBytes);
    render(out, error, null, "", "", Collections.newSetFromMap(new IdentityHashMap<>()), 0, maxFrames);
    return out;
  }

  private static void render(Out out, Throwable t, StackTraceElement[] enclosing, String caption,
      String prefix, Set<Throwable> seen, int depth, int maxFrames) {
    if (out.full()) {
      return;
    }
    if (!seen.add(t)) {
      out.append(prefix).append(caption).append("[CIRCULAR REFERENCE: ").append(describe(t)).append("]\n");
      return;
    }
    StackTraceElement[] trace = t.getStackTrace();
    out.append(prefix).append(caption).append(describe(t)).append("\n");
    out.append(frames(trace, enclosing, prefix, maxFrames));
    if (depth >= MAX_DEPTH) {
      return;
    }
    Throwable[] suppressed = t.getSuppressed();
    for (int i = 0; i < Math.min(suppressed.length, MAX_SUPPRESSED); i++) {
      render(out, suppressed[i], trace, "Suppressed: ", prefix + "\t", seen, depth + 1, maxFrames);
    }
    Throwable cause = t.getCause();
    if (cause != null && cause != t) {
      render(out, cause, trace, "Caused by: ", prefix, seen, depth + 1, maxFrames);
    }
  }

  /** {@code t.toString()}, or its class name if a user's {@code toString} or message throws. */
  private static String describe(Throwable t) {
    try {
      return String.valueOf(t);
    } catch (RuntimeException e) {
      return t.getClass().getName();
    }
  }

  /** The frame lines of {@code trace}, from the cache when this code path failed before. */
  private static byte[] frames(StackTraceElement[] trace, StackTraceElement[] enclosing, String prefix, int maxFrames) {
    int shown = shownFrames(trace, enclosing, maxFrames);
    Frames key = new Frames(trace, shown, trace.length - shown, prefix);
    byte[] text = CACHE.get(key);
    if (text == null) {
      text = renderFrames(trace, shown, prefix);
      if (CACHE.size() >= CACHE_ENTRIES) {
        CACHE.clear(); // failures of many code paths: start over rather than track recency
      }
      CACHE.put(key, text);
    }
    return text;
  }

  /**
   * How many frames from the top to print: up to the runtime frames at the bottom and up to the
   * frames shared with the enclosing trace, at least the first frame, at most {@code maxFrames}.
   */
  static int shownFrames(StackTraceElement[] trace, StackTraceElement[] enclosing, int maxFrames) {
    int end = trace.length;
    while (end > 0 && isRuntimeFrame(trace[end - 1])) {
      end--;
    }
    end = Math.max(end, Math.min(1, trace.length));
    if (enclosing != null) {
      int m = trace.length - 1;
      int n = enclosing.length - 1;
      while (m >= 0 && n >= 0 && trace[m].equals(enclosing[n])) {
        m--;
        n--;
      }
      end = Math.min(end, m + 1); // frames in common are printed by the enclosing trace
    }
    return Math.min(end, maxFrames);
  }

  /** A frame of the processor's runtime or of the thread machinery beneath it. */
  static boolean isRuntimeFrame(StackTraceElement e) {
    String c = e.getClassName();
    return c.startsWith("io.sagaflow.processor.internal.")
        || c.startsWith("java.lang.VirtualThread")
        || c.startsWith("java.lang.Thread")
        || c.startsWith("jdk.internal.vm.Continuation")
        || c.startsWith("java.util.concurrent.");
  }

  private static byte[] renderFrames(StackTraceElement[] trace, int shown, String prefix) {
    StringBuilder sb = new StringBuilder(64 * (shown + 1));
    for (int i = 0; i < shown; i++) {
      StackTraceElement e = trace[i];
      sb.append(prefix).append("\tat ").append(e.getClassName()).append('.').append(e.getMethodName()).append('(');
      if (e.isNativeMethod()) {
        sb.append("Native Method");
      } else if (e.getFileName() == null) {
        sb.append("Unknown Source");
      } else {
        sb.append(e.getFileName());
        if (e.getLineNumber() >= 0) {
          sb.append(':').append(e.getLineNumber());
        }
      }
      sb.append(")\n");
    }
    if (shown < trace.length) {
      sb.append(prefix).append("\t... ").append(trace.length - shown).append(" more\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Cache key: the shown frames, how many were left out, and the indentation. */
  private static final class Frames {
    private final StackTraceElement[] trace;
    private final int shown;
    private final int omitted;
    private final String prefix;
    private final int hash;

    Frames(StackTraceElement[] trace, int shown, int omitted, String prefix) {
      this.trace = trace;
      this.shown = shown;
      this.omitted = omitted;
      this.prefix = prefix;
      int h = 31 * omitted + prefix.hashCode();
      for (int i = 0; i < shown; i++) {
        h = 31 * h + trace[i].hashCode();
      }
      this.hash = h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Frames f && f.hash == hash && f.shown == shown && f.omitted == omitted
          && f.prefix.equals(prefix) && Arrays.equals(f.trace, 0, shown, trace, 0, shown);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /**
   * UTF-8 bytes up to a limit; past it, appends are ignored and the cut keeps characters whole.
   * The buffer has room beyond the limit for the cut marker.
   */
  private static final class Out {
    private int max;
    private byte[] buf;
    private int len;
    private boolean full;

    Out(int capacity) {
      this.max = capacity;
      this.buf = new byte[Math.min(capacity, 2048)];
    }

    void limit(int max) {
      this.max = max;
    }

    /**
     * Ends the text at a line end: a partial indented line (a frame, {@code "... n more"}, a
     * suppressed exception) is dropped, a partial exception line (a long message) is kept as cut
     * and ended; then lifts the limit for the marker.
     */
    Out cutToLine() {
      if (len > 0 && buf[len - 1] != '\n') {
        int start = len - 1;
        while (start > 0 && buf[start - 1] != '\n') {
          start--;
        }
        if (start > 0 && buf[start] == '\t') {
          len = start;
        } else {
          buf = Arrays.copyOf(buf, Math.max(buf.length, len + 1));
          buf[len++] = '\n';
        }
      }
      full = false;
      max = Integer.MAX_VALUE;
      return this;
    }

    boolean full() {
      return full;
    }

    Out append(String s) {
      return full ? this : append(s.getBytes(StandardCharsets.UTF_8));
    }

    Out append(byte[] b) {
      if (full) {
        return this;
      }
      int n = b.length;
      if (len + n > max) {
        n = max - len;
        while (n > 0 && (b[n] & 0xC0) == 0x80) {
          n--; // b[n] is a continuation byte: cutting before it would split a character
        }
        full = true;
      }
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(len + n, Math.min(max, 2 * buf.length)));
      }
      System.arraycopy(b, 0, buf, len, n);
      len += n;
      return this;
    }

    byte[] bytes() {
      return len == buf.length ? buf : Arrays.copyOf(buf, len);
    }
  }
}
