package io.sagaflow.saga.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.saga.Action;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A run's journal encoded piece by piece: byte for byte the whole encoding, each piece encoded once. */
class JournalEncodingTest {
  private final ObjectMapper mapper = new ObjectMapper();
  private final JournalCodec codec = new JournalCodec(mapper);
  private final Instant t = Instant.ofEpochMilli(1_764_480_000_123L);

  private SagaJournal started() {
    Action<JsonNode> action = new Action<>("orders", "tx-1", mapper.valueToTree(Map.of("qty", 2)), Map.of());
    return SagaJournal.start("orders-3@42", "order", new InputPosition("orders", 3, 42), action, t);
  }

  @Test
  void everyStateOfARunEncodesAsTheWholeEncodingDoes() {
    JournalEncoding encoding = new JournalEncoding(codec);
    SagaJournal j = started();
    List<SagaJournal> states = new ArrayList<>(List.of(j));
    j = j.withEntry(JournalEntry.pending("1", EffectKind.PUT, "PAY", t, null).returned(null, null, 4));
    states.add(j);
    JournalEntry take = JournalEntry.pending("2", EffectKind.TAKE, "PAY_DONE", t, null);
    j = j.withEntry(take).withReplyPosition(new ReplyPosition("2", "PAY_DONE", 0, 17));
    states.add(j);
    JournalCodec.EncodedResult reply = codec.encodeResult(Action.of("PAY_DONE", "tx-1", "ok"));
    j = j.withEntry(take.returned(reply.type(), reply.json(), 12)); // replaces the pending take
    states.add(j);
    j = j.withEntry(JournalEntry.pending("3", EffectKind.DELAY, null, t, t.plusSeconds(60)));
    states.add(j);
    j = j.withReplyPosition(new ReplyPosition("4", "SHIP_DONE", 1, 5)); // the positions change again
    states.add(j);
    for (SagaJournal state : states) {
      byte[] bytes = encoding.encode(state);
      assertThat(bytes).isEqualTo(codec.encode(state));
      assertThat(codec.decode(bytes, state.runKey())).isEqualTo(state);
    }
  }

  @Test
  void aSeededEntryIsCopiedNotEncodedAgain() {
    JournalEncoding encoding = new JournalEncoding(codec);
    JournalEntry put = JournalEntry.pending("1", EffectKind.PUT, "PAY", t, null).returned(null, null, 4);
    JournalEntry other = JournalEntry.pending("1", EffectKind.PUT, "SEEDED", t, null).returned(null, null, 4);
    encoding.seed(put, codec.encodeEntry(other)); // a sink is told the bytes; they are trusted, not recomputed
    SagaJournal j = started().withEntry(put);
    assertThat(codec.decode(encoding.encode(j), "k").entry("1").detail()).isEqualTo("SEEDED");

    JournalEntry replaced = JournalEntry.pending("1", EffectKind.PUT, "PAY", t, null).returned(null, null, 5);
    SagaJournal later = j.withEntry(replaced); // another entry object under the id: encoded afresh
    assertThat(codec.decode(encoding.encode(later), "k").entry("1")).isEqualTo(replaced);
  }

  @Test
  void fieldsKeepTheirDocumentedOrder() throws Exception {
    SagaJournal j = started().withEntry(JournalEntry.pending("1", EffectKind.PUT, "PAY", t, null))
        .withReplyPosition(new ReplyPosition("1", "PAY_DONE", 0, 17));
    List<String> names = new ArrayList<>();
    mapper.readTree(new JournalEncoding(codec).encode(j)).fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("v", "key", "saga", "tx", "in", "act", "st", "e", "rp");
  }
}
