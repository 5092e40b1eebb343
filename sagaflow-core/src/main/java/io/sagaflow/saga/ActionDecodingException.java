package io.sagaflow.saga;

/**
 * A record could not be decoded as an action: its value is absent, not JSON, not an object, has no
 * string {@code transaction_id}, or its payload does not convert to the expected type. The message
 * says what was wrong; the caller dead-letters the record.
 */
public class ActionDecodingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String topic;

  /** An exception for a record of {@code topic}. */
  public ActionDecodingException(String topic, String message, Throwable cause) {
    super(message, cause);
    this.topic = topic;
  }

  /** The topic of the record that failed to decode. */
  public String topic() {
    return topic;
  }
}
