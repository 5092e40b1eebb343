package io.sagaflow.routing;

import io.sagaflow.kafka.internal.PooledJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;

import io.sagaflow.processor.Processor;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.processor.RecordHandler;

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
 * try (RecoveryHandler recovery = Recovery.handler(RecoveryOptions.of(bootstrap, "billing"));
 *     Processor<byte[], byte[]> processor = Processor.forRecords(
 *         ProcessorOptions.create(bootstrap, "billing", new ByteArrayDeserializer(), new ByteArrayDeserializer())
 *             .withTopics("orders")
 *             .withFailureHandler(recovery),
 *         router.asRecordHandler()).start()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Nothing is silently dropped: a value that is not an envelope, an envelope without an
 * {@code event}, an event without a handler (unless {@link Builder#ignoreUnknownEvents()} says so)
 * and data that does not map all throw a {@link RoutingException}, which the recovery pipeline
 * dead-letters at once, without retries. Falsy data ({@code 0}, {@code false}, {@code ""}) is data
 * like any other; a missing or {@code null} {@code data} reaches the handler as {@code null}.
 *
 * <p>Several handlers of one event run in registration order, after the data was mapped for all
 * of them (a mapping failure runs none); the first to throw stops the rest and the whole record
 * goes to recovery (so handlers of one event should be idempotent, as a retry runs them all again).
 *
 * <p>Settings such as exactly-once or the retry policy belong to the {@link Processor} and its
 * failure handler: topics that need different settings get a processor each, with the same router
 * or another.
 */
public final class EventRouter {
  private final ObjectMapper mapper;
  private final Map<String, List<Route<?>>> routes;
  private final boolean ignoreUnknown;
  private final Supplier<? extends Map<String, ?>> metadata;

  private EventRouter(Builder b) {
    this.mapper = b.mapper;
    Map<String, List<Route<?>>> copy = new LinkedHashMap<>();
    b.routes.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    this.routes = Collections.unmodifiableMap(copy);
    this.ignoreUnknown = b.ignoreUnknown;
    this.metadata = b.metadata;
  }

  /** Starts a router; add handlers with {@link Builder#on(String, Class, EventHandler)}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * This router as the handler of a {@link Processor}: each record's value (its bytes as fetched,
   * whatever the processor's deserializers; {@code ByteArrayDeserializer} avoids decoding twice)
   * is routed with an {@link EventContext} built from the record: its coordinates, headers,
   * timestamp and attempt, the consumer's client id, group metadata and assignment, the metadata
   * supplier's map, and {@link ProcessorRecord#send} as the sender.
   *
   * <p>What the router or a handler throws goes to the processor's {@link
   * io.sagaflow.processor.FailureHandler}; with the recovery pipeline, routing failures go to the
   * dead-letter topic at once (see {@link RoutingException}) and handler failures are retried first.
   */
  public <K, V> RecordHandler<K, V> asRecordHandler() {
    return record -> route(record.raw().value(), contextOf(record));
  }

  private EventContext contextOf(ProcessorRecord<?, ?> record) {
    ConsumerRecord<byte[], byte[]> raw = record.raw();
    ConsumerGroupMetadata group = record.groupMetadata();
    Set<org.apache.kafka.common.TopicPartition> assigned = record.assignment();
    EventContext.ConsumerInfo consumer = new EventContext.ConsumerInfo(record.clientId(),
        group == null ? null : group.groupId(), group == null ? -1 : group.generationId(),
        group == null ? null : group.memberId(), assigned == null ? Set.of() : assigned);
    return new EventContext(null, raw.key() == null ? null : new String(raw.key(), StandardCharsets.UTF_8),
        record.headers(), record.timestamp() < 0 ? null : Instant.ofEpochMilli(record.timestamp()),
        record.receivedAt(), record.topic(), record.partition(), record.offset(), record.attempt(), consumer,
        userMetadata(), record::send);
  }

  private Map<String, Object> userMetadata() {
    if (metadata == null) {
      return Map.of();
    }
    Map<String, ?> m = metadata.get();
    return m == null || m.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /** The event names with at least one handler. */
  public Set<String> events() {
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
    Object[] values = new Object[handlers.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = handlers.get(i).map(mapper, data); // all or nothing: no handler runs on unmappable data
    }
    EventContext ctx = new EventContext(event, context.key(), context.headers(), context.producedAt(),
        context.receivedAt(), context.topic(), context.partition(), context.offset(), context.attempt(),
        context.consumer(), context.metadata(), context.sender());
    for (int i = 0; i < values.length; i++) {
      handlers.get(i).run(values[i], ctx);
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
    T map(ObjectMapper mapper, JsonNode data) {
      try {
        return data.isMissingNode() || data instanceof NullNode ? null : mapper.treeToValue(data, type);
      } catch (IOException | IllegalArgumentException e) {
        throw new RoutingException.DataMapping("the data of event \"" + event + "\" does not map to "
            + type.toCanonical() + ": " + (e instanceof com.fasterxml.jackson.core.JacksonException je
                ? je.getOriginalMessage() : e.getMessage()), e);
      }
    }

    @SuppressWarnings("unchecked") // value came from map() of this route
    void run(Object value, EventContext ctx) throws Exception {
      handler.handle((T) value, ctx);
    }
  }

  /** Collects handlers; {@link #build()} makes the immutable router. */
  public static final class Builder {
    private ObjectMapper mapper = PooledJson.mapper() // handlers run on virtual threads
        .findAndRegisterModules()
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private final Map<String, List<Route<?>>> routes = new LinkedHashMap<>();
    private boolean ignoreUnknown;
    private Supplier<? extends Map<String, ?>> metadata;

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

    /**
     * Metadata for {@link EventContext#metadata()}: {@code supplier} is called once per record
     * routed through {@link #asRecordHandler()}, on the record's worker thread, before the
     * envelope is read (a {@code null} result means none). If it throws, the record fails like a
     * handler failure would.
     *
     * <pre>{@code
     * .metadata(() -> Map.of("region", config.region(), "version", build.version()))
     * }</pre>
     */
    public Builder metadata(Supplier<? extends Map<String, ?>> supplier) {
      this.metadata = Objects.requireNonNull(supplier, "supplier");
      return this;
    }

    /**
     * The Jackson mapper that maps {@code data} to handler types. The default one registers the
     * modules on the class path, fails on unknown properties, on {@code null} for primitives and on
     * duplicate keys; a mapper given here is used as it is.
     */
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

    /** The immutable router; at least one handler must have been added. */
    public EventRouter build() {
      if (routes.isEmpty()) {
        throw new IllegalStateException("an EventRouter needs at least one handler: call on(event, Type.class, handler)");
      }
      return new EventRouter(this);
    }
  }
}
