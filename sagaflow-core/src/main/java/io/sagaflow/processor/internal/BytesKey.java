package io.sagaflow.processor.internal;

import java.util.Arrays;

/** A record key's bytes as a map key (content equality, hash computed once). */
final class BytesKey {
  private final byte[] bytes;
  private final int hash;

  BytesKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BytesKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
