package io.sagaflow.processor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.kafka.internal.PooledJson;
import java.nio.charset.StandardCharsets;

/** How {@link ProcessorRecord#send(String, Object, Object)} turns keys and values into bytes. */
final class OutputBytes {
  private static final ObjectMapper JSON = PooledJson.mapper().findAndRegisterModules(); // handlers: virtual threads

  private OutputBytes() {}

  static byte[] of(Object o) {
    if (o == null) {
      return null;
    }
    if (o instanceof byte[] b) {
      return b;
    }
    if (o instanceof String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
    try {
      return JSON.writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName()
          + " as JSON for send(): pass byte[] or a String, or make the type Jackson-serializable", e);
    }
  }
}
