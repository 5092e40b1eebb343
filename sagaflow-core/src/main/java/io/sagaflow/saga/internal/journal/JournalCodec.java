package io.sagaflow.saga.internal.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sagaflow.kafka.internal.PooledJson;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.RaceResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The journal's wire format: one compact JSON object per saga run, and the results it holds.
 *
 * <p>Design: a run's journal is written whole under its run key (the journal topic is compacted,
 * so one live record per unfinished run), built field by field on Jackson's tree model (Sagaflow's
 * own types are never mapped reflectively). Short field names keep the per-write cost down, as
 * every write repeats the history ({@link JournalEncoding} encodes each part of it once and
 * {@link #assemble assembles} the writes from the parts' bytes):
 *
 * <pre>{@code
 * {"v":1, "key":"orders-0@42", "saga":"order", "tx":"tx-1",
 *  "in":{"t":"orders","p":0,"o":42},                       // absent when not from Kafka
 *  "act":{"t":"orders","p":{...},"h":{"name":"<base64>"}}, // input action ("p", "h" optional)
 *  "st":1764480000000,                                     // started at, epoch millis
 *  "e":[{"id":"1","k":"put","d":"PAY","s":"r","at":...,"ms":3},
 *       {"id":"2","k":"call","d":"charge","s":"r","rt":"com.example.Receipt","r":{...},"at":...,"ms":40},
 *       {"id":"3","k":"delay","s":"p","at":...,"dl":...},
 *       {"id":"4","k":"call","d":"ship","s":"f","err":{"t":"java.io.IOException","m":"down"},"at":...,"ms":1}],
 *  "rp":[{"c":"1","t":"PAY_DONE","p":0,"o":17}]}
 * }</pre>
 *
 * Status {@code s} is {@code p}ending, {@code r}eturned or {@code f}ailed. A result is stored with
 * what rebuilds it ({@code rt}): a tag for the engine's own types ({@code action} for a take's
 * action, {@code uuid}, {@code instant}, {@code race} for a race's winner) or the Java class name
 * of a call's result, converted back with the user's mapper. A result rebuilt from its class loses
 * generic type arguments (a {@code List<Order>} comes back as a list of maps): return records or
 * concrete classes from journaled calls.
 *
 * <p>Versioning: {@code v} is {@link #FORMAT_VERSION}. A reader accepts only the versions it
 * knows; any other version, like malformed bytes or a missing field, raises
 * {@link JournalDecodingException} naming the record and what is wrong, so the run goes to the
 * dead-letter topic instead of crash-looping its consumer. Fields a reader does not know are
 * ignored, so later versions may add optional fields without a version change.
 */
public final class JournalCodec {
  /** The format version written, and the only one read. */
  public static final int FORMAT_VERSION = 1;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper ENVELOPE = PooledJson.mapper(); // encodes on saga (virtual) threads
  private static final byte[] E_FIELD = ",\"e\":[".getBytes(StandardCharsets.UTF_8);
  private static final byte[] RP_FIELD = ",\"rp\":".getBytes(StandardCharsets.UTF_8);

  private final ObjectMapper mapper;

  /**
   * A codec converting results and payloads with {@code mapper} (the saga runtime's payload mapper,
   * so the user's modules apply).
   */
  public JournalCodec(ObjectMapper mapper) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  /** A result as journaled: what rebuilds it and its JSON; both null for a null result. */
  public record EncodedResult(String type, JsonNode json) {}

  // ---------------------------------------------------------------- whole records

  /** The record value of {@code journal}. */
  public byte[] encode(SagaJournal journal) {
    List<byte[]> entries = new ArrayList<>(journal.entries().size());
    journal.entries().forEach(e -> entries.add(encodeEntry(e)));
    return assemble(encodeHead(journal), entries, journal.replyPositions());
  }

  /**
   * The part of {@code journal}'s record value that never changes during its run (what started
   * it), as a JSON object; {@link #assemble} completes it. {@link JournalEncoding} keeps it.
   */
  public byte[] encodeHead(SagaJournal journal) {
    ObjectNode root = NODES.objectNode();
    root.put("v", journal.version());
    root.put("key", journal.runKey());
    root.put("saga", journal.sagaName());
    root.put("tx", journal.transactionId());
    if (journal.input() != null) {
      ObjectNode in = root.putObject("in");
      in.put("t", journal.input().topic());
      in.put("p", journal.input().partition());
      in.put("o", journal.input().offset());
    }
    root.set("act", actionNode(journal.action()));
    root.put("st", journal.startedAt().toEpochMilli());
    return bytes(root);
  }

  /** {@code entry} as the JSON it has in a record value. */
  public byte[] encodeEntry(JournalEntry entry) {
    return bytes(entryNode(entry));
  }

  /**
   * A record value from its parts: {@code head} as {@link #encodeHead}, the entries in order as
   * {@link #encodeEntry}, and the reply positions. The parts are copied, not parsed again.
   */
  public byte[] assemble(byte[] head, List<byte[]> entries, List<ReplyPosition> replyPositions) {
    return assemble(head, entries, encodePositions(replyPositions));
  }

  /** Reply positions as the JSON array {@link #assemble} writes, or null when there are none. */
  public byte[] encodePositions(List<ReplyPosition> replyPositions) {
    if (replyPositions.isEmpty()) {
      return null;
    }
    ArrayNode rp = NODES.arrayNode();
    for (ReplyPosition p : replyPositions) {
      rp.addObject().put("c", p.effectId()).put("t", p.topic()).put("p", p.partition()).put("o", p.offset());
    }
    return bytes(rp);
  }

  /**
   * A record value from its encoded parts: {@code head} as {@link #encodeHead}, the entries as
   * {@link #encodeEntry}, the reply positions as {@link #encodePositions} (or null).
   */
  public byte[] assemble(byte[] head, List<byte[]> entries, byte[] positions) {
    if (head.length < 2 || head[head.length - 1] != '}') {
      throw new IllegalArgumentException("not a journal head: it must be a JSON object, as encodeHead writes");
    }
    int size = head.length + E_FIELD.length + 2 + (positions == null ? 0 : RP_FIELD.length + positions.length);
    for (byte[] e : entries) {
      size += e.length + 1;
    }
    byte[] out = new byte[size];
    int at = put(out, 0, head, head.length - 1); // its closing brace comes last
    at = put(out, at, E_FIELD, E_FIELD.length);
    for (int i = 0; i < entries.size(); i++) {
      if (i > 0) {
        out[at++] = ',';
      }
      at = put(out, at, entries.get(i), entries.get(i).length);
    }
    out[at++] = ']';
    if (positions != null) {
      at = put(out, at, RP_FIELD, RP_FIELD.length);
      at = put(out, at, positions, positions.length);
    }
    out[at++] = '}';
    return at == size ? out : Arrays.copyOf(out, at);
  }

  private static int put(byte[] out, int at, byte[] part, int length) {
    System.arraycopy(part, 0, out, at, length);
    return at + length;
  }

  /** The bytes {@code entry} adds to an encoded journal (its JSON and a separator). */
  public int encodedSize(JournalEntry entry) {
    return encodeEntry(entry).length + 1;
  }

  /**
   * Decodes a record value.
   *
   * @param where names the record in errors (for example its key and offset)
   * @throws JournalDecodingException when the bytes are not a journal this version reads
   */
  public SagaJournal decode(byte[] value, String where) {
    if (value == null) {
      throw new JournalDecodingException("journal record " + where + " has no value (a tombstone is not a journal)",
          null);
    }
    JsonNode root;
    try {
      root = ENVELOPE.readTree(value);
    } catch (IOException e) {
      throw new JournalDecodingException("journal record " + where + " is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new JournalDecodingException("journal record " + where + " is not a JSON object", null);
    }
    Fields f = new Fields(root, "journal record " + where);
    JsonNode v = root.get("v");
    if (v == null || !v.canConvertToExactIntegral()) {
      throw new JournalDecodingException("journal record " + where + " has no format version (\"v\"); it was"
          + " not written by Sagaflow's journal", null);
    }
    if (v.asInt() != FORMAT_VERSION) {
      throw new JournalDecodingException("journal record " + where + " has format version " + v.asText()
          + " but this Sagaflow reads version " + FORMAT_VERSION + " only; run the Sagaflow version that wrote it"
          + " until its sagas finish, or move the record to the dead-letter topic", null);
    }
    try {
      InputPosition input = null;
      if (root.has("in")) {
        Fields in = f.object("in");
        input = new InputPosition(in.text("t"), in.integer("p"), in.number("o"));
      }
      Action<JsonNode> action = action(f.object("act"), f.text("tx"));
      List<JournalEntry> entries = new ArrayList<>();
      int i = 0;
      for (JsonNode e : f.array("e")) {
        entries.add(entry(new Fields(e, "journal record " + where + " entry " + i++)));
      }
      List<ReplyPosition> positions = new ArrayList<>();
      if (root.has("rp")) {
        i = 0;
        for (JsonNode p : f.array("rp")) {
          Fields pf = new Fields(p, "journal record " + where + " reply position " + i++);
          positions.add(new ReplyPosition(pf.text("c"), pf.text("t"), pf.integer("p"), pf.number("o")));
        }
      }
      return new SagaJournal(FORMAT_VERSION, f.text("key"), f.text("saga"), f.text("tx"), input, action,
          Instant.ofEpochMilli(f.number("st")), entries, positions);
    } catch (IllegalArgumentException | NullPointerException | DateTimeParseException e) {
      throw new JournalDecodingException("journal record " + where + " is not a valid journal: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- results

  /** {@code value}, an effect's result, as journaled. */
  public EncodedResult encodeResult(Object value) {
    if (value == null) {
      return new EncodedResult(null, null);
    }
    if (value instanceof Action<?> a) {
      return new EncodedResult("action", actionNode(a));
    }
    if (value instanceof UUID u) {
      return new EncodedResult("uuid", NODES.textNode(u.toString()));
    }
    if (value instanceof Instant t) {
      return new EncodedResult("instant", NODES.textNode(t.toString()));
    }
    if (value instanceof RaceResult r) {
      // Only the winner: its value is rebuilt by replaying the winning branch.
      return new EncodedResult("race", NODES.objectNode().put("k", r.key()).put("i", r.index()));
    }
    try {
      return new EncodedResult(value.getClass().getName(), mapper.valueToTree(value));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot journal a result of type " + value.getClass().getName()
          + " as JSON: " + e.getMessage() + "; return a type Jackson can serialize from journaled effects", e);
    }
  }

  /**
   * The result of {@code entry}, rebuilt; a take's action with a JSON payload (the caller converts
   * it to the take's type), a race's {@link RaceResult} with a null value.
   *
   * @throws JournalDecodingException when it cannot be rebuilt
   */
  public Object decodeResult(JournalEntry entry) {
    String type = entry.resultType();
    JsonNode json = entry.result();
    if (type == null) {
      return null;
    }
    String what = "the journaled result of effect " + entry.id() + " (" + entry.describe() + ", type " + type + ")";
    try {
      return switch (type) {
        case "action" -> action(new Fields(json, what), null);
        case "uuid" -> UUID.fromString(json.asText());
        case "instant" -> Instant.parse(json.asText());
        case "race" -> {
          Fields f = new Fields(json, what);
          yield new RaceResult(f.text("k"), f.integer("i"), null);
        }
        default -> mapper.treeToValue(json, load(type, what));
      };
    } catch (JsonProcessingException | IllegalArgumentException | DateTimeParseException e) {
      throw new JournalDecodingException(what + " cannot be rebuilt: " + e.getMessage(), e);
    }
  }

  private static Class<?> load(String type, String what) {
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      return Class.forName(type, false, loader != null ? loader : JournalCodec.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new JournalDecodingException(what + " cannot be rebuilt: class " + type + " is not found", e);
    }
  }

  // ---------------------------------------------------------------- parts

  private ObjectNode actionNode(Action<?> a) {
    ObjectNode n = NODES.objectNode();
    n.put("t", a.topic());
    n.put("tx", a.transactionId());
    if (a.payload() != null) {
      n.set("p", a.payload() instanceof JsonNode tree ? tree : mapper.valueToTree(a.payload()));
    }
    if (!a.headers().isEmpty()) {
      ObjectNode h = n.putObject("h");
      a.headers().forEach((k, v) -> h.put(k, Base64.getEncoder().encodeToString(v)));
    }
    return n;
  }

  private static Action<JsonNode> action(Fields f, String transactionId) {
    JsonNode payload = f.node.get("p");
    Map<String, byte[]> headers = new LinkedHashMap<>();
    JsonNode h = f.node.get("h");
    if (h != null) {
      if (!h.isObject()) {
        throw new IllegalArgumentException(f.where + ": field \"h\" must be an object");
      }
      for (Map.Entry<String, JsonNode> e : h.properties()) {
        headers.put(e.getKey(), Base64.getDecoder().decode(e.getValue().asText()));
      }
    }
    String tx = f.node.has("tx") ? f.text("tx") : transactionId;
    if (tx == null) {
      throw new IllegalArgumentException(f.where + ": field \"tx\" is missing");
    }
    return new Action<>(f.text("t"), tx, payload == null || payload.isNull() ? null : payload, headers);
  }

  private ObjectNode entryNode(JournalEntry e) {
    ObjectNode n = NODES.objectNode();
    n.put("id", e.id());
    n.put("k", e.kind().wireName());
    if (e.detail() != null) {
      n.put("d", e.detail());
    }
    n.put("s", switch (e.status()) {
      case PENDING -> "p";
      case RETURNED -> "r";
      case FAILED -> "f";
    });
    if (e.resultType() != null) {
      n.put("rt", e.resultType());
      n.set("r", e.result());
    }
    if (e.failure() != null) {
      n.set("err", failureNode(e.failure()));
    }
    n.put("at", e.at().toEpochMilli());
    if (e.durationMillis() != 0) {
      n.put("ms", e.durationMillis());
    }
    if (e.deadline() != null) {
      n.put("dl", e.deadline().toEpochMilli());
    }
    return n;
  }

  private static JournalEntry entry(Fields f) {
    String k = f.text("k");
    EffectKind kind = EffectKind.fromWire(k);
    if (kind == null) {
      throw new IllegalArgumentException(f.where + ": unknown effect kind \"" + k + "\"");
    }
    JournalEntry.Status status = switch (f.text("s")) {
      case "p" -> JournalEntry.Status.PENDING;
      case "r" -> JournalEntry.Status.RETURNED;
      case "f" -> JournalEntry.Status.FAILED;
      default -> throw new IllegalArgumentException(f.where + ": unknown status \"" + f.text("s") + "\"");
    };
    String resultType = f.node.has("rt") ? f.text("rt") : null;
    JsonNode result = resultType == null ? null : f.node.get("r");
    if (resultType != null && result == null) {
      throw new IllegalArgumentException(f.where + ": a result type without a result (\"r\")");
    }
    RecordedFailure failure = f.node.has("err") ? failure(f.object("err")) : null;
    Instant deadline = f.node.has("dl") ? Instant.ofEpochMilli(f.number("dl")) : null;
    return new JournalEntry(f.text("id"), kind, f.node.has("d") ? f.text("d") : null, status, resultType, result,
        failure, Instant.ofEpochMilli(f.number("at")), f.node.has("ms") ? f.number("ms") : 0, deadline);
  }

  private static ObjectNode failureNode(RecordedFailure failure) {
    ObjectNode n = NODES.objectNode();
    n.put("t", failure.type());
    if (failure.message() != null) {
      n.put("m", failure.message());
    }
    if (failure.cause() != null) {
      n.set("c", failureNode(failure.cause()));
    }
    return n;
  }

  private static RecordedFailure failure(Fields f) {
    return new RecordedFailure(f.text("t"), f.node.has("m") ? f.text("m") : null,
        f.node.has("c") ? failure(f.object("c")) : null);
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return ENVELOPE.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreachable: a JSON tree always serializes", e);
    }
  }

  /** Typed reads of an object's fields, failing with the field named. */
  private record Fields(JsonNode node, String where) {
    Fields {
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException(where + " is not a JSON object");
      }
    }

    String text(String name) {
      JsonNode v = node.get(name);
      if (v == null || !v.isTextual()) {
        throw new IllegalArgumentException(where + ": field \"" + name + "\" is " + (v == null ? "missing"
            : "not a string (" + v.getNodeType() + ")"));
      }
      return v.textValue();
    }

    long number(String name) {
      JsonNode v = node.get(name);
      if (v == null || !v.canConvertToExactIntegral() || !v.canConvertToLong()) {
        throw new IllegalArgumentException(where + ": field \"" + name + "\" is " + (v == null ? "missing"
            : "not an integer (" + v + ")"));
      }
      return v.longValue();
    }

    int integer(String name) {
      long n = number(name);
      if (n != (int) n) {
        throw new IllegalArgumentException(where + ": field \"" + name + "\" (" + n + ") is out of range");
      }
      return (int) n;
    }

    Fields object(String name) {
      JsonNode v = node.get(name);
      if (v == null) {
        throw new IllegalArgumentException(where + ": field \"" + name + "\" is missing");
      }
      return new Fields(v, where + " field \"" + name + "\"");
    }

    Iterable<JsonNode> array(String name) {
      JsonNode v = node.get(name);
      if (v == null || !v.isArray()) {
        throw new IllegalArgumentException(where + ": field \"" + name + "\" is " + (v == null ? "missing"
            : "not an array"));
      }
      return v;
    }
  }
}
