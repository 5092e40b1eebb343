package io.sagaflow.routing;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that cannot be routed: not an envelope, an event nobody handles, or data that does not
 * map to the handler's type. Retrying cannot help, so the recovery pipeline sends such records
 * straight to the dead-letter topic, with this exception's class ({@code
 * kafka_dlt-exception-fqcn}, for example {@code io.sagaflow.routing.RoutingException$UnknownEvent})
 * and message ({@code kafka_dlt-exception-message}) in the headers.
 *
 * <p>It is a Kafka {@link SerializationException}: the record cannot be turned into a handled,
 * typed event, just as a poison pill cannot be deserialized, and {@link
 * io.sagaflow.recovery.RetryPolicy#isRetryable} never retries either, whatever its {@code
 * retryable} predicate says. A handler may throw one itself for data it finds permanently invalid.
 */
public class RoutingException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** The reason, with what was wrong and how to fix it. */
  public RoutingException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A record that is not an {@code {"event": …, "data": …}} envelope. */
  public static final class MalformedEnvelope extends RoutingException {
    private static final long serialVersionUID = 1L;

    /** {@code message} says what the value was instead and what was expected. */
    public MalformedEnvelope(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** An envelope whose event name has no handler. */
  public static final class UnknownEvent extends RoutingException {
    private static final long serialVersionUID = 1L;
    private final String event;

    /** {@code event} is the name nobody handles; {@code message} says how to fix it. */
    public UnknownEvent(String event, String message) {
      super(message, null);
      this.event = event;
    }

    /** The event name nobody handles. */
    public String event() {
      return event;
    }
  }

  /** An envelope whose data does not map to the registered type. */
  public static final class DataMapping extends RoutingException {
    private static final long serialVersionUID = 1L;

    /** {@code message} names the event and the target type; {@code cause} is Jackson's error. */
    public DataMapping(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
