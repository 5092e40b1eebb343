package io.sagaflow.routing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * Routes {@code {"event": "<name>", "data": …}} envelopes to handlers registered by event name,
 * with {@code data} mapped to each handler's type by Jackson.
 *
 * <pre>{@code
 * EventRouter router = EventRouter.builder()
 *     .on("OrderCreated", OrderCreated.class, (order, ctx) -> billing.open(order))
 *     .on("OrderCreated", OrderCreated.class, (order, ctx) -> audit.log(ctx.offset()))
 *     .on("OrderCancelled", OrderCancelled.class, (c, ctx) -> billing.close(c.orderId()))
 *     .build();
 * }</pre>
 *
 * <p>Nothing is silently dropped: a value that is not an envelope, an envelope without an
 * {@code event}, an event without a handler (unless {@link Builder#ignoreUnknownEvents()} says so)
 * and data that does not map all throw a {@link RoutingException}, which the recovery pipeline
 * dead-letters. Falsy data ({@code 0}, {@code false}, {@code ""}) is data like any other; a
 * missing or {@code null} {@code data} reaches the handler as {@code null}.
 *
 * <p>Several handlers of one event run in registration order; the first to throw stops the rest
 * and the whole record goes to recovery (so handlers of one event should be idempotent, as a
 * retry runs them all again).
 */
public final class EventRouter {
  private final ObjectMapper mapper;
  private final Map<String, List<Route<?>>> routes;
  private final boolean ignoreUnknown;

  private EventRouter(Builder b) {
    this.mapper = b.mapper;
    Map<String, List<Route<?>>> copy = new LinkedHashMap<>();
    b.routes.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    this.routes = Collections.unmodifiableMap(copy);
    this.ignoreUnknown = b.ignoreUnknown;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The event names with at least one handler. */
  public java.util.Set<String> events() {
    return routes.keySet();
  }

  /**
   * Parses the envelope in {@code value} and runs every handler of its event.
   *
   * @param value the record value (UTF-8 JSON)
   * @param context the record's context; its {@code event} component is replaced by the name read
   *     from the envelope
   * @return the event name routed, or {@code null} if an unknown event was ignored
   * @throws RoutingException if the record cannot be routed
   * @throws Exception what a handler threw
   */
  public String route(byte[] value, EventContext context) throws Exception {
    JsonNode envelope = parse(value);
    JsonNode eventNode = envelope.path("event");
    if (!eventNode.isTextual() || eventNode.asText().isEmpty()) {
      throw new RoutingException.MalformedEnvelope("the envelope has no \"event\" name (got "
          + describe(eventNode) + "): producers must write {\"event\": \"<name>\", \"data\": ...}", null);
    }
    String event = eventNode.asText();
    List<Route<?>> handlers = routes.get(event);
    if (handlers == null) {
      if (ignoreUnknown) {
        return null;
      }
      throw new RoutingException.UnknownEvent(event, "no handler for event \"" + event
          + "\" (handled: " + new TreeSet<>(routes.keySet()) + "): register one with"
          + " on(\"" + event + "\", Type.class, handler), or replay the dead letter once it exists");
    }
    JsonNode data = envelope.path("data");
    EventContext ctx = new EventContext(event, context.key(), context.headers(), context.producedAt(),
        context.receivedAt(), context.topic(), context.partition(), context.offset(), context.attempt(),
        context.consumer(), context.metadata(), context.sender());
    for (Route<?> route : handlers) {
      route.run(mapper, data, ctx);
    }
    return event;
  }

  private JsonNode parse(byte[] value) {
    if (value == null) {
      throw new RoutingException.MalformedEnvelope(
          "the record has no value (a tombstone?): an envelope {\"event\": ..., \"data\": ...} was expected", null);
    }
    JsonNode node;
    try {
      node = mapper.readTree(value);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new RoutingException.MalformedEnvelope(
          "the record value is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new RoutingException.MalformedEnvelope("the record value cannot be read: " + e, e);
    }
    if (node == null || !node.isObject()) {
      throw new RoutingException.MalformedEnvelope("the record value is " + describe(node)
          + ", not an envelope {\"event\": ..., \"data\": ...}", null);
    }
    return node;
  }

  private static String describe(JsonNode node) {
    if (node == null || node instanceof MissingNode) {
      return "nothing";
    }
    String text = node.toString();
    return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " "
        + (text.length() > 60 ? text.substring(0, 60) + "..." : text);
  }

  private record Route<T>(String event, JavaType type, EventHandler<T> handler) {
    void run(ObjectMapper mapper, JsonNode data, EventContext ctx) throws Exception {
      T value;
      try {
        value = data.isMissingNode() || data instanceof NullNode ? null : mapper.treeToValue(data, type);
      } catch (IOException | IllegalArgumentException e) {
        throw new RoutingException.DataMapping("the data of event \"" + event + "\" does not map to "
            + type.toCanonical() + ": " + (e instanceof com.fasterxml.jackson.core.JacksonException je
                ? je.getOriginalMessage() : e.getMessage()), e);
      }
      handler.handle(value, ctx);
    }
  }

  /** Collects handlers; {@link #build()} makes the immutable router. */
  public static final class Builder {
    private ObjectMapper mapper = new ObjectMapper()
        .findAndRegisterModules()
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private final Map<String, List<Route<?>>> routes = new LinkedHashMap<>();
    private boolean ignoreUnknown;

    private Builder() {}

    /** Adds a handler for {@code event}, whose data maps to {@code type}. */
    public <T> Builder on(String event, Class<T> type, EventHandler<T> handler) {
      Objects.requireNonNull(type, "type");
      return on(event, mapper.constructType(type), handler);
    }

    /** Adds a handler for {@code event} with a generic target type (e.g. a {@code List<Item>}). */
    public <T> Builder on(String event, JavaType type, EventHandler<T> handler) {
      if (event == null || event.isEmpty()) {
        throw new IllegalArgumentException("event name must not be empty");
      }
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(handler, "handler");
      routes.computeIfAbsent(event, e -> new ArrayList<>()).add(new Route<>(event, type, handler));
      return this;
    }

    /** The Jackson mapper that maps {@code data} to handler types. */
    public Builder objectMapper(ObjectMapper mapper) {
      this.mapper = Objects.requireNonNull(mapper, "mapper");
      return this;
    }

    /**
     * Skips envelopes whose event has no handler instead of dead-lettering them: for topics that
     * carry events of several services. Malformed envelopes are still dead-lettered.
     */
    public Builder ignoreUnknownEvents() {
      this.ignoreUnknown = true;
      return this;
    }

    public EventRouter build() {
      if (routes.isEmpty()) {
        throw new IllegalStateException("an EventRouter needs at least one handler: call on(event, Type.class, handler)");
      }
      return new EventRouter(this);
    }
  }
}
