package io.sagaflow.saga;

import java.util.Map;
import java.util.Objects;

/**
 * Produces an action to {@code topic} with the current transaction id; the triggering action's
 * headers are carried along ({@code headers} are added on top). Performing it returns once the
 * broker acknowledged the record.
 *
 * @param topic the topic to write to
 * @param payload the payload (serialized with Jackson), may be null
 * @param headers extra headers, never null
 */
public record Put(String topic, Object payload, Map<String, byte[]> headers) implements Effect<Void> {

  /** Validates and copies the headers. */
  public Put {
    Objects.requireNonNull(topic, "topic");
    if (topic.isBlank()) {
      throw new IllegalArgumentException("put topic must not be blank");
    }
    headers = Action.copyHeaders(headers);
  }

  /** The same put to another topic (a middleware may redirect puts this way). */
  public Put withTopic(String newTopic) {
    return new Put(newTopic, payload, headers);
  }

  /** The same put with another payload. */
  public Put withPayload(Object newPayload) {
    return new Put(topic, newPayload, headers);
  }

  @Override
  public String describe() {
    return "put(" + topic + ")";
  }
}
