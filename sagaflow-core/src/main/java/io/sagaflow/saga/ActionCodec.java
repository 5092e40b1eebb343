package io.sagaflow.saga;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The wire format of actions, compatible with the {@code kafka-sagas} npm package: the record value
 * is the JSON object {@code {"transaction_id": "...", "payload": ...}} ({@code payload} omitted when
 * null), headers are copied as they are, and Sagaflow also sets the record key to the transaction
 * id (UTF-8) so that a transaction's actions share a partition.
 *
 * <p>Payload fields that the target type does not declare are ignored by default, as the npm
 * package accepts any shape (a Node order with an extra {@code "size": "large"} converts to a Java
 * {@code Order} without it). {@link #withStrictPayloads()} makes them fail the conversion instead;
 * a type annotated {@code @JsonIgnoreProperties} keeps its own rule either way.
 *
 * <pre>{@code
 * ActionCodec codec = ActionCodec.create();
 * Action<JsonNode> a = codec.decode(record);        // throws ActionDecodingException
 * Action<Order> o = codec.convert(a, Order.class);
 * }</pre>
 */
public final class ActionCodec {

  /** The JSON field holding the transaction id. */
  public static final String TRANSACTION_ID = "transaction_id";
  /** The JSON field holding the payload. */
  public static final String PAYLOAD = "payload";

  private final ObjectMapper mapper;
  /**
   * A copy of {@link #mapper} on a factory whose buffers are pooled across threads (see {@link
   * #wireMapper}), with {@code FAIL_ON_UNKNOWN_PROPERTIES} set as {@link #strictPayloads} says.
   */
  private final ObjectMapper wire;
  private final ObjectWriter payloadWriter;
  private final boolean strictPayloads;

  private ActionCodec(ObjectMapper mapper, boolean strictPayloads) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
    this.strictPayloads = strictPayloads;
    this.wire = wireMapper(mapper).configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, strictPayloads);
    this.payloadWriter = wire.writer().without(SerializationFeature.WRAP_ROOT_VALUE);
  }

  /**
   * A copy of {@code mapper} (same modules and features), never {@code mapper} itself: its
   * deserialization features are set here. Where it can be, the copy's JSON factory recycles its
   * buffers in a pool shared by all threads. Jackson's default pool is per thread: sagas run on
   * short-lived virtual threads, so every encode would allocate fresh generator buffers (about 10
   * KB). A mapper with a factory of its own class (not plain JSON), or a subclass that cannot be
   * copied with another factory ({@code JsonMapper}), is copied as it is.
   */
  private static ObjectMapper wireMapper(ObjectMapper mapper) {
    JsonFactory factory = mapper.getFactory();
    if (factory.getClass() == JsonFactory.class
        || factory.getClass() == com.fasterxml.jackson.databind.MappingJsonFactory.class) {
      try {
        return mapper.copyWith(factory.rebuild().recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build());
      } catch (IllegalStateException e) {
        // A subclass without copyWith (JsonMapper): a plain copy below.
      }
    }
    try {
      return mapper.copy();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("ActionCodec copies its object mapper (it never changes yours), but "
          + mapper.getClass().getName() + " does not override copy(): pass an ObjectMapper or a JsonMapper", e);
    }
  }

  /** A codec with a default {@link ObjectMapper}; unknown payload fields are ignored. */
  public static ActionCodec create() {
    return new ActionCodec(new ObjectMapper(), false);
  }

  /** A codec using {@code mapper} for payloads; unknown payload fields are ignored. */
  public static ActionCodec create(ObjectMapper mapper) {
    return new ActionCodec(mapper, false);
  }

  /**
   * This codec in strict mode: a payload field that the target type does not declare fails
   * {@link #convert} with an {@link ActionDecodingException}. {@link SagaOptions#withStrictPayloads()}
   * gives a runtime such a codec.
   */
  public ActionCodec withStrictPayloads() {
    return strictPayloads ? this : new ActionCodec(mapper, true);
  }

  /** Whether unknown payload fields fail the conversion (false by default). */
  public boolean strictPayloads() {
    return strictPayloads;
  }

  /** The mapper payloads are (de)serialized and converted with. */
  public ObjectMapper mapper() {
    return mapper;
  }

  /** The record value of {@code action}. */
  public byte[] encodeValue(Action<?> action) {
    // Streamed: the payload is serialized straight into the envelope, without an intermediate tree.
    ByteArrayBuilder out = new ByteArrayBuilder(null, 128);
    try (JsonGenerator g = wire.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField(TRANSACTION_ID, action.transactionId());
      if (action.payload() != null) {
        g.writeFieldName(PAYLOAD);
        payloadWriter.writeValue(g, action.payload());
      }
      g.writeEndObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot serialize the payload of " + action, e);
    }
    return out.toByteArray();
  }

  /** The producer record for {@code action}: key = transaction id, JSON value, copied headers. */
  public ProducerRecord<byte[], byte[]> toRecord(Action<?> action) {
    Headers headers = new RecordHeaders();
    action.headers().forEach(headers::add);
    return new ProducerRecord<>(action.topic(), null,
        action.transactionId().getBytes(StandardCharsets.UTF_8), encodeValue(action), headers);
  }

  /**
   * Decodes a consumed record; the payload is a Jackson tree (null when absent).
   *
   * @throws ActionDecodingException when the value is absent, not JSON, not an object, or lacks a
   *     string {@code transaction_id}
   */
  public Action<JsonNode> decode(ConsumerRecord<byte[], byte[]> record) {
    return decode(record.topic(), record.value(), headerMap(record.headers()), record);
  }

  /** Decodes a value read from {@code topic}; see {@link #decode(ConsumerRecord)}. */
  public Action<JsonNode> decode(String topic, byte[] value, Map<String, byte[]> headers) {
    return decode(topic, value, headers, null);
  }

  /** {@code record}'s place as error messages name it ({@code topic-partition@offset}), else the topic. */
  private static String where(String topic, ConsumerRecord<?, ?> record) {
    return record == null ? topic : record.topic() + "-" + record.partition() + "@" + record.offset();
  }

  /**
   * Decodes; {@code record} (or null) only names the place in the errors: built for every record,
   * that text cost more than the checks.
   */
  private Action<JsonNode> decode(String topic, byte[] value, Map<String, byte[]> headers,
      ConsumerRecord<?, ?> record) {
    String expected = "; a saga action is JSON {\"transaction_id\": \"...\", \"payload\": ...}";
    if (value == null) {
      throw new ActionDecodingException(topic, "record " + where(topic, record) + " has no value (null)" + expected,
          null);
    }
    JsonNode node;
    try {
      node = wire.readTree(value);
    } catch (JsonProcessingException e) {
      throw new ActionDecodingException(topic, "record " + where(topic, record) + " is not JSON ("
          + e.getOriginalMessage() + ")" + expected, e);
    } catch (IOException e) {
      throw new ActionDecodingException(topic, "record " + where(topic, record) + " is not JSON ("
          + e.getMessage() + ")" + expected, e);
    }
    if (node == null || !node.isObject()) {
      throw new ActionDecodingException(topic, "record " + where(topic, record) + " is JSON but not an object ("
          + (node == null ? "empty" : node.getNodeType()) + ")" + expected, null);
    }
    JsonNode tx = node.get(TRANSACTION_ID);
    if (tx == null || !tx.isTextual() || tx.asText().isBlank()) {
      throw new ActionDecodingException(topic, "record " + where(topic, record) + " has "
          + (tx == null ? "no transaction_id" : "an invalid transaction_id (" + tx + ")")
          + expected, null);
    }
    JsonNode payload = node.get(PAYLOAD);
    return new Action<>(topic, tx.asText(), payload == null || payload.isMissingNode() ? null : payload, headers);
  }

  /**
   * {@code action} with its payload converted to {@code type} (Jackson {@code convertValue}); a
   * payload already of that type is kept. Fields that {@code type} does not declare are ignored
   * unless this codec is {@linkplain #withStrictPayloads() strict}. To {@code String}, a JSON string payload
   * converts to its text ({@code "large"} gives {@code large}, never {@code "\"large\""}) and any
   * other JSON payload to its JSON text.
   *
   * @throws ActionDecodingException when the payload does not convert
   */
  public <P> Action<P> convert(Action<?> action, Class<P> type) {
    Object payload = action.payload();
    if (payload == null || type.isInstance(payload)) {
      return action.withPayload(type.cast(payload));
    }
    if (type == String.class && payload instanceof JsonNode tree) {
      // Read as text: a JSON string gives its text (not the quoted form), anything else its JSON.
      return action.withPayload(type.cast(tree.isTextual() ? tree.textValue() : tree.toString()));
    }
    try {
      // A tree (what decode gives) is read through a tree parser, not re-serialized first.
      return action.withPayload(payload instanceof JsonNode tree ? wire.treeToValue(tree, type)
          : wire.convertValue(payload, type));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new ActionDecodingException(action.topic(), "the payload of an action on " + action.topic()
          + " (transaction " + action.transactionId() + ") does not convert to " + type.getName() + ": "
          + e.getMessage(), e);
    }
  }

  /** Kafka headers as a map (the last value of a repeated name wins). */
  public static Map<String, byte[]> headerMap(Headers headers) {
    Map<String, byte[]> map = new LinkedHashMap<>();
    if (headers != null) {
      for (Header h : headers) {
        map.put(h.key(), h.value());
      }
    }
    return map;
  }
}
