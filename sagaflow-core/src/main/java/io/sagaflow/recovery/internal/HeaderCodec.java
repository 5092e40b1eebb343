package io.sagaflow.recovery.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** Big-endian int/long and UTF-8 string header values, the encodings Spring Kafka uses. */
public final class HeaderCodec {
  private HeaderCodec() {}

  static byte[] intBytes(int v) {
    return ByteBuffer.allocate(Integer.BYTES).putInt(v).array();
  }

  public static byte[] longBytes(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Replaces every header named {@code name} with one holding {@code value}. */
  public static void replace(Headers headers, String name, byte[] value) {
    headers.remove(name);
    headers.add(name, value);
  }

  public static String lastString(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  public static Integer lastInt(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    if (h == null || h.value() == null) {
      return null;
    }
    if (h.value().length != Integer.BYTES) {
      throw new IllegalArgumentException("header " + name + " has " + h.value().length
          + " bytes, expected a 4-byte big-endian int");
    }
    return ByteBuffer.wrap(h.value()).getInt();
  }

  public static Long lastLong(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    if (h == null || h.value() == null) {
      return null;
    }
    if (h.value().length != Long.BYTES) {
      throw new IllegalArgumentException("header " + name + " has " + h.value().length
          + " bytes, expected an 8-byte big-endian long");
    }
    return ByteBuffer.wrap(h.value()).getLong();
  }
}
