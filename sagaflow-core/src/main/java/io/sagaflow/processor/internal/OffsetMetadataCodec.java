package io.sagaflow.processor.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Encodes which offsets above a committed offset are already finished, for the commit metadata.
 *
 * <p>Design: the text is {@code "sf1:" + base64url(varints)}. The varints are the committed offset
 * itself (a guard: metadata whose base does not match the committed offset is ignored) followed by
 * alternating run lengths, starting at the committed offset: unfinished, finished, unfinished,
 * finished, ... The list always ends with a finished run (trailing unfinished offsets need no
 * mention). The {@code ':'} cannot occur in base64, so foreign metadata (Parallel Consumer writes
 * plain base64 of a magic byte and payload; other tools write free text) is recognised and ignored,
 * never misread.
 *
 * <p>When the runs do not fit the cap, the encoder keeps the longest prefix of runs that fits and
 * reports the overflow: offsets past the prefix are then treated as unfinished on restart
 * (reprocessed, never lost), and the caller stops taking new records from the partition until the
 * encoding fits again.
 */
public final class OffsetMetadataCodec {
  /** The prefix of our metadata; the digit is the format version. */
  public static final String PREFIX = "sf1:";

  private OffsetMetadataCodec() {}

  /** The result of {@link #encode}. */
  public record Encoded(String metadata, boolean overflow) {}

  /** The result of {@link #decode}. */
  public sealed interface Decoded {}

  /** No metadata (empty or null). */
  public record Empty() implements Decoded {}

  /** Metadata written by someone else (or an unknown version of ours); ignore it. */
  public record Foreign(String reason) implements Decoded {}

  /**
   * Ours: {@code finishedRanges} holds pairs {@code [start, end)} of absolute offsets, ascending,
   * all at or above {@code base}.
   */
  public record Ours(long base, long[] finishedRanges) implements Decoded {
    public int rangeCount() {
      return finishedRanges.length / 2;
    }
  }

  /**
   * Encodes runs. {@code runs} alternates unfinished and finished lengths starting with an
   * unfinished one (which may be 0); only runs up to the last finished one are written.
   */
  public static Encoded encode(long base, long[] runs, int runCount, int maxChars) {
    int lastFinished = -1;
    for (int i = 1; i < runCount; i += 2) {
      if (runs[i] > 0) {
        lastFinished = i;
      }
    }
    if (lastFinished < 0) {
      return new Encoded("", false);
    }
    // base64 turns 3 bytes into 4 chars; the prefix takes 4 chars.
    int maxBytes = Math.max(0, (maxChars - PREFIX.length()) / 4 * 3);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    writeVarLong(out, base);
    int written = 0;
    boolean overflow = false;
    long carried = 0;
    for (int i = 0; i + 1 <= lastFinished; i += 2) {
      if (runs[i + 1] == 0) {
        carried += runs[i]; // an empty finished run merges two unfinished runs
        continue;
      }
      int before = out.size();
      ByteArrayOutputStream pair = new ByteArrayOutputStream(8);
      writeVarLong(pair, carried + runs[i]);
      writeVarLong(pair, runs[i + 1]);
      carried = 0;
      if (before + pair.size() > maxBytes) {
        overflow = true;
        break;
      }
      out.write(pair.toByteArray(), 0, pair.size());
      written += 2;
    }
    if (written == 0) {
      return new Encoded("", overflow);
    }
    return new Encoded(
        PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray()), overflow);
  }

  /** Decodes metadata read back from a commit; never throws. */
  public static Decoded decode(String metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return new Empty();
    }
    if (!metadata.startsWith(PREFIX)) {
      return new Foreign("no '" + PREFIX + "' prefix");
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(metadata.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return new Foreign("bad base64: " + e.getMessage());
    }
    int[] pos = {0};
    try {
      long base = readVarLong(bytes, pos);
      if (base < 0) {
        return new Foreign("negative base offset");
      }
      List<long[]> ranges = new ArrayList<>();
      long at = base;
      while (pos[0] < bytes.length) {
        long unfinished = readVarLong(bytes, pos);
        long finished = readVarLong(bytes, pos);
        if (unfinished < 0 || finished <= 0) {
          return new Foreign("bad run lengths");
        }
        at = Math.addExact(at, unfinished);
        long end = Math.addExact(at, finished);
        ranges.add(new long[] {at, end});
        at = end;
      }
      long[] flat = new long[ranges.size() * 2];
      for (int i = 0; i < ranges.size(); i++) {
        flat[2 * i] = ranges.get(i)[0];
        flat[2 * i + 1] = ranges.get(i)[1];
      }
      return new Ours(base, flat);
    } catch (IllegalStateException | ArithmeticException e) {
      return new Foreign("truncated or corrupt payload");
    }
  }

  static void writeVarLong(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  static long readVarLong(byte[] b, int[] pos) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= b.length) {
        throw new IllegalStateException("truncated varint");
      }
      int x = b[pos[0]++] & 0xFF;
      result |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalStateException("varint too long");
  }
}
