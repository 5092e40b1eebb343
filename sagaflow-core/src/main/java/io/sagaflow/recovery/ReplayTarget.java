package io.sagaflow.recovery;

/**
 * Where replayed dead letters go: back to the topic they failed on ({@link #original()}, read from
 * {@code kafka_dlt-original-topic}, keeping the original partition when it exists) or to a named
 * topic.
 *
 * @param topic the named topic, or {@code null} for the original topic of each letter
 */
public record ReplayTarget(String topic) {

  public ReplayTarget {
    if (topic != null && topic.isBlank()) {
      throw new IllegalArgumentException("target topic must not be blank; use ReplayTarget.original()");
    }
  }

  public static ReplayTarget original() {
    return new ReplayTarget(null);
  }

  public static ReplayTarget topic(String topic) {
    return new ReplayTarget(java.util.Objects.requireNonNull(topic, "topic"));
  }

  /** Parses the CLI form: {@code original} or a topic name. */
  public static ReplayTarget parse(String spec) {
    return spec == null || spec.equals("original") ? original() : topic(spec);
  }

  public boolean isOriginal() {
    return topic == null;
  }

  @Override
  public String toString() {
    return topic == null ? "original" : topic;
  }
}
