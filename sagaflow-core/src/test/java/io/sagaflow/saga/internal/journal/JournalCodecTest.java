package io.sagaflow.saga.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.RaceResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The journal's wire format: round trips, and clear typed errors for records it cannot read. */
class JournalCodecTest {
  record Receipt(String id, int cents) {}

  private final ObjectMapper mapper = new ObjectMapper();
  private final JournalCodec codec = new JournalCodec(mapper);

  private SagaJournal sample() {
    Instant t = Instant.ofEpochMilli(1_764_480_000_123L);
    Action<JsonNode> action = new Action<>("orders", "tx-1", mapper.valueToTree(Map.of("qty", 2)),
        Map.of("trace", "abc".getBytes(StandardCharsets.UTF_8)));
    JournalCodec.EncodedResult receipt = codec.encodeResult(new Receipt("r-1", 250));
    return SagaJournal.start("orders-3@42", "order", new InputPosition("orders", 3, 42), action, t)
        .withEntry(JournalEntry.pending("1", EffectKind.PUT, "PAY", t, null).returned(null, null, 4))
        .withEntry(JournalEntry.pending("2", EffectKind.CALL, "charge", t, null)
            .returned(receipt.type(), receipt.json(), 40))
        .withEntry(JournalEntry.pending("3", EffectKind.DELAY, null, t, t.plusSeconds(60)))
        .withEntry(JournalEntry.pending("4/race/a/1", EffectKind.CALL, "ship", t, null).failed(
            RecordedFailure.of(new IllegalStateException("down", new IOException("refused"))), 1))
        .withReplyPosition(new ReplyPosition("1", "PAY_DONE", 0, 17));
  }

  @Test
  void aJournalRoundTrips() {
    SagaJournal journal = sample();
    byte[] bytes = codec.encode(journal);
    assertThat(codec.decode(bytes, "orders-3@42")).isEqualTo(journal);
    assertThat(new String(bytes, StandardCharsets.UTF_8)).startsWith("{\"v\":1,\"key\":\"orders-3@42\"");
  }

  @Test
  void aPendingEntryIsReplacedByItsOutcomeInPlace() {
    SagaJournal journal = sample();
    JournalEntry delay = journal.entry("3");
    SagaJournal done = journal.withEntry(delay.returned(null, null, 60_000));
    assertThat(done.entries()).extracting(JournalEntry::id).containsExactly("1", "2", "3", "4/race/a/1");
    assertThat(done.entry("3").status()).isEqualTo(JournalEntry.Status.RETURNED);
    assertThat(done.entry("3").deadline()).isEqualTo(delay.deadline());
  }

  @Test
  void resultsRebuildToTheirTypes() {
    UUID uuid = UUID.randomUUID();
    Instant now = Instant.parse("2026-11-30T06:00:00.123456789Z");
    Action<?> action = new Action<>("R", "tx", new Receipt("r", 1), Map.of("h", new byte[] {1, 2}));
    assertThat(roundTrip(uuid)).isEqualTo(uuid);
    assertThat(roundTrip(now)).isEqualTo(now);
    assertThat(roundTrip(new Receipt("r-9", 99))).isEqualTo(new Receipt("r-9", 99));
    assertThat(roundTrip("text")).isEqualTo("text");
    assertThat(roundTrip(42L)).isEqualTo(42L);
    assertThat(roundTrip(null)).isNull();
    assertThat(roundTrip(new RaceResult("timeout", 1, "late"))).isEqualTo(new RaceResult("timeout", 1, null));
    assertThat(roundTrip(action)).isEqualTo(new Action<>("R", "tx", mapper.valueToTree(new Receipt("r", 1)),
        Map.of("h", new byte[] {1, 2})));
  }

  private Object roundTrip(Object value) {
    JournalCodec.EncodedResult r = codec.encodeResult(value);
    JournalEntry e = JournalEntry.pending("1", EffectKind.CALL, "c", Instant.EPOCH, null).returned(r.type(), r.json(), 0);
    SagaJournal j = SagaJournal.start("k", "s", null, Action.of("T", "tx", null), Instant.EPOCH).withEntry(e);
    return codec.decodeResult(codec.decode(codec.encode(j), "k").entry("1"));
  }

  @Test
  void aResultWhoseClassIsGoneIsATypedError() {
    JournalEntry e = JournalEntry.pending("5", EffectKind.CALL, "c", Instant.EPOCH, null)
        .returned("com.example.Gone", mapper.createObjectNode(), 0);
    assertThatThrownBy(() -> codec.decodeResult(e)).isInstanceOf(JournalDecodingException.class)
        .hasMessageContaining("the journaled result of effect 5 (call(c), type com.example.Gone)")
        .hasMessageContaining("class com.example.Gone is not found");
  }

  @Test
  void malformedRecordsAreTypedErrorsNamingTheRecordAndTheProblem() {
    assertDecodeFails("not json".getBytes(StandardCharsets.UTF_8), "journal record k1 is not JSON");
    assertDecodeFails("[1]".getBytes(StandardCharsets.UTF_8), "journal record k1 is not a JSON object");
    assertDecodeFails(null, "journal record k1 has no value");
    assertDecodeFails("{\"key\":\"x\"}".getBytes(StandardCharsets.UTF_8), "has no format version (\"v\")");
    String valid = new String(codec.encode(sample()), StandardCharsets.UTF_8);
    assertDecodeFails(valid.replace("\"tx\":\"tx-1\",", "").getBytes(StandardCharsets.UTF_8),
        "journal record k1 is not a valid journal: journal record k1: field \"tx\" is missing");
    assertDecodeFails(valid.replace("\"k\":\"put\"", "\"k\":\"teleport\"").getBytes(StandardCharsets.UTF_8),
        "journal record k1 entry 0: unknown effect kind \"teleport\"");
    assertDecodeFails(valid.replace("\"st\":1764480000123", "\"st\":\"soon\"").getBytes(StandardCharsets.UTF_8),
        "field \"st\" is not an integer");
  }

  @Test
  void aRecordOfAnotherFormatVersionIsRejectedWithWhatToDo() {
    String valid = new String(codec.encode(sample()), StandardCharsets.UTF_8);
    assertDecodeFails(valid.replace("{\"v\":1,", "{\"v\":2,").getBytes(StandardCharsets.UTF_8),
        "journal record k1 has format version 2 but this Sagaflow reads version 1 only");
  }

  @Test
  void unknownFieldsAreIgnoredSoLaterVersionsCanAddOptionalOnes() {
    String valid = new String(codec.encode(sample()), StandardCharsets.UTF_8);
    byte[] extended = valid.replace("{\"v\":1,", "{\"v\":1,\"future\":[1,2],").getBytes(StandardCharsets.UTF_8);
    assertThat(codec.decode(extended, "k1")).isEqualTo(sample());
  }

  private void assertDecodeFails(byte[] bytes, String message) {
    assertThatThrownBy(() -> codec.decode(bytes, "k1")).isInstanceOf(JournalDecodingException.class)
        .hasMessageContaining(message);
  }

  @Test
  void failuresRebuildAsTheirClassWithMessageAndCause() {
    Exception rebuilt = RecordedFailure.of(new IllegalStateException("down", new IOException("refused"))).rebuild();
    assertThat(rebuilt).isExactlyInstanceOf(IllegalStateException.class).hasMessage("down")
        .cause().isExactlyInstanceOf(IOException.class).hasMessage("refused");
  }

  @Test
  void aFailureThatCannotBeRebuiltIsASagaReplayedExceptionNamingTheOriginalClass() {
    Exception gone = new RecordedFailure("com.example.GoneException", "boom", null).rebuild();
    assertThat(gone).isInstanceOf(SagaReplayedException.class)
        .hasMessage("com.example.GoneException (replayed from the saga journal): boom");
    assertThat(((SagaReplayedException) gone).originalType()).isEqualTo("com.example.GoneException");
    // Not an exception class at all: never instantiated.
    assertThat(new RecordedFailure("java.lang.Thread", "x", null).rebuild()).isInstanceOf(SagaReplayedException.class);
    assertThat(new RecordedFailure("java.lang.OutOfMemoryError", "x", null).rebuild())
        .isInstanceOf(SagaReplayedException.class);
  }

  @Test
  void failureCausesAreRecordedToABoundedDepth() {
    Throwable t = new RuntimeException("0");
    for (int i = 1; i < 10; i++) {
      t = new RuntimeException(String.valueOf(i), t);
    }
    RecordedFailure f = RecordedFailure.of(t);
    int depth = 0;
    for (RecordedFailure c = f; c != null; c = c.cause()) {
      depth++;
    }
    assertThat(depth).isEqualTo(RecordedFailure.MAX_CAUSES + 1);
  }

  @Test
  void limitsAreValidated() {
    assertThatThrownBy(() -> new JournalLimits(0, 10)).hasMessage("maxEntries (0) must be positive");
    assertThatThrownBy(() -> new JournalLimits(10, -1)).hasMessage("maxBytes (-1) must be positive");
    assertThat(JournalLimits.DEFAULT).isEqualTo(new JournalLimits(1_000, 1_048_576));
    assertThat(List.of(EffectKind.values())).allSatisfy(k -> assertThat(EffectKind.fromWire(k.wireName())).isEqualTo(k));
  }
}
