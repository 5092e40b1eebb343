package io.sagaflow.opentelemetry;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** Reads and writes trace context in Kafka record headers (UTF-8 values). */
final class KafkaHeaders {
  private KafkaHeaders() {}

  static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
    @Override
    public String get(Headers headers, String key) {
      if (headers == null) {
        return null;
      }
      Header h = headers.lastHeader(key);
      return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
  };

  /** Replaces the header: a copied {@code traceparent} of the triggering record must not stay beside ours. */
  static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
    if (headers != null) {
      headers.remove(key);
      headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
  };
}
