package io.sagaflow.routing;

/**
 * A record that cannot be routed: not an envelope, an event nobody handles, or data that does not
 * map to the handler's type. Retrying cannot help, so the recovery pipeline sends such records
 * straight to the dead-letter topic, with this exception's class and message in the headers.
 */
public class RoutingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The reason, with what was wrong and how to fix it. */
  public RoutingException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A record that is not an {@code {"event": …, "data": …}} envelope. */
  public static final class MalformedEnvelope extends RoutingException {
    private static final long serialVersionUID = 1L;

    public MalformedEnvelope(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** An envelope whose event name has no handler. */
  public static final class UnknownEvent extends RoutingException {
    private static final long serialVersionUID = 1L;
    private final String event;

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

    public DataMapping(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
