package io.sagaflow.saga;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message of a saga transaction: the topic it was (or will be) written to, the transaction id
 * every action of one saga run shares, a typed payload and the Kafka headers.
 *
 * <p>On the wire an action is a record whose value is {@code {"transaction_id": "...", "payload": ...}}
 * (the {@code kafka-sagas} npm format) and whose key is the transaction id; see {@link ActionCodec}.
 *
 * <pre>{@code
 * Action<Order> a = Action.of("ORDER_PLACED", "tx-1", new Order(42));
 * }</pre>
 *
 * @param topic the topic of the action, never null
 * @param transactionId the transaction id, never null or blank
 * @param payload the payload, may be null (absent on the wire)
 * @param headers the headers (raw bytes by name), never null; copied and unmodifiable
 * @param <P> the payload type
 */
public record Action<P>(String topic, String transactionId, P payload, Map<String, byte[]> headers) {

  /** Validates and copies the headers. */
  public Action {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(transactionId, "transactionId");
    if (transactionId.isBlank()) {
      throw new IllegalArgumentException("transactionId must not be blank");
    }
    headers = copyHeaders(headers);
  }

  /** An action without headers. */
  public static <P> Action<P> of(String topic, String transactionId, P payload) {
    return new Action<>(topic, transactionId, payload, Map.of());
  }

  /** A header decoded as UTF-8, or null when absent. */
  public String header(String name) {
    byte[] value = headers.get(name);
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /** This action with another payload (same topic, transaction id and headers). */
  public <T> Action<T> withPayload(T newPayload) {
    return new Action<>(topic, transactionId, newPayload, headers);
  }

  /** This action on another topic. */
  public Action<P> withTopic(String newTopic) {
    return new Action<>(newTopic, transactionId, payload, headers);
  }

  /** Header values are compared by content, not by array identity. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Action<?> other)) {
      return false;
    }
    return topic.equals(other.topic) && transactionId.equals(other.transactionId)
        && Objects.equals(payload, other.payload) && headersEqual(headers, other.headers);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(topic, transactionId, payload);
    for (Map.Entry<String, byte[]> e : headers.entrySet()) {
      h = 31 * h + e.getKey().hashCode() ^ Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder hs = new StringBuilder();
    headers.forEach((k, v) -> hs.append(hs.isEmpty() ? "" : ", ").append(k).append('=')
        .append(new String(v, StandardCharsets.UTF_8)));
    return "Action[topic=" + topic + ", transactionId=" + transactionId + ", payload=" + payload
        + ", headers={" + hs + "}]";
  }

  static Map<String, byte[]> copyHeaders(Map<String, byte[]> headers) {
    if (headers == null || headers.isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> copy = new LinkedHashMap<>();
    headers.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "header name"),
        v == null ? new byte[0] : v.clone()));
    return Collections.unmodifiableMap(copy);
  }

  private static boolean headersEqual(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : a.entrySet()) {
      if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
